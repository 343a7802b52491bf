-- The sample ERP: customers and their contacts, with updated_at kept by a trigger (as most ERPs do).
-- Used by `tandem demo` (embedded) and by docker compose (docker/postgres-init.sql).
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
  customer_no text,
  updated_at  timestamptz not null default clock_timestamp()
);
create index contacts_updated on public.contacts (updated_at, contact_no);
create function public.touch_updated_at() returns trigger language plpgsql as $$
begin new.updated_at := clock_timestamp(); return new; end $$;
create trigger customers_touch before update on public.customers for each row execute function public.touch_updated_at();
create trigger contacts_touch before update on public.contacts for each row execute function public.touch_updated_at();
