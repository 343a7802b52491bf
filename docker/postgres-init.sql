-- Runs once when the compose Postgres starts with an empty volume: a sample ERP and a database for tandem's state.
create database tandem_state;
create database erp;
\connect erp

create table public.customers (
  customer_no    text primary key,
  name           text not null,
  phone          text,
  email          text,
  website        text,
  industry       text,
  city           text,
  country        text,
  annual_revenue numeric(14,2),
  employees      integer,
  status         text,
  updated_at     timestamptz not null default clock_timestamp()
);
create index customers_updated on public.customers (updated_at, customer_no);

create table public.contacts (
  contact_no  text primary key,
  first_name  text,
  last_name   text not null,
  email       text,
  phone       text,
  title       text,
  customer_no text references public.customers (customer_no) on delete set null,
  updated_at  timestamptz not null default clock_timestamp()
);
create index contacts_updated on public.contacts (updated_at, contact_no);

create function public.touch_updated_at() returns trigger language plpgsql as $$
begin new.updated_at := clock_timestamp(); return new; end $$;
create trigger customers_touch before update on public.customers for each row execute function public.touch_updated_at();
create trigger contacts_touch before update on public.contacts for each row execute function public.touch_updated_at();

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
