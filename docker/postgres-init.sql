-- Runs once when the compose Postgres starts with an empty volume: a sample ERP and a database for tandem's state.
create database tandem_state;
create database erp;
\connect erp

\i /tandem/erp-schema.sql

insert into public.customers (customer_no, name, phone, website, industry, city, country, annual_revenue, employees, status)
select 'C' || lpad(n::text, 7, '0'),
       (array['Nordic','Atlas','Summit','Harbor','Vertex','Lumen'])[1 + n % 6] || ' ' || (array['Logistics','Foods','Pharma','Energy','Retail'])[1 + n % 5] || ' ' || n,
       '+4722' || lpad((n * 7919 % 1000000)::text, 6, '0'),
       'https://www.customer' || n || '.example',
       (array['Energy','Retail','Technology','Finance'])[1 + n % 4],
       (array['Oslo','Berlin','Austin','Lyon'])[1 + n % 4],
       (array['Norway','Germany','United States','France'])[1 + n % 4],
       (n % 500) * 10000,
       10 + n % 990,
       (array['Customer','Prospect','Partner'])[1 + n % 3]
from generate_series(1, 5000) as n;

insert into public.contacts (contact_no, first_name, last_name, email, phone, title, customer_no)
select 'P' || lpad(n::text, 7, '0'),
       (array['Ada','Bjorn','Chloe','Diego','Emma'])[1 + n % 5],
       (array['Andersen','Becker','Costa','Dubois'])[1 + n % 4],
       'contact' || n || '@mail.example',
       '+4755' || lpad((n * 104729 % 1000000)::text, 6, '0'),
       (array['CFO','Buyer','CEO','IT Director'])[1 + n % 4],
       'C' || lpad((1 + n % 5000)::text, 7, '0')
from generate_series(1, 7500) as n;
