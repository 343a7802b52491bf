/**
 * Deterministic, realistic-looking sample data for the demo and the benchmarks: customers and their contacts.
 * A small seeded generator (mulberry32) so every run tells the same story.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PREFIXES = [
  'Nordic',
  'Atlas',
  'Blue River',
  'Summit',
  'Harbor',
  'Vertex',
  'Golden Gate',
  'Evergreen',
  'Pioneer',
  'Lumen',
  'Crescent',
  'Iron Oak',
  'Silverline',
  'Redwood',
  'Polar',
];
const SUFFIXES = [
  'Logistics',
  'Foods',
  'Pharma',
  'Robotics',
  'Textiles',
  'Energy',
  'Analytics',
  'Machinery',
  'Retail',
  'Studios',
  'Farms',
  'Motors',
];
const FORMS = ['Ltd', 'GmbH', 'Inc.', 'AS', 'S.A.', 'LLC', 'Oy', 'BV'];
const INDUSTRIES = [
  'Agriculture',
  'Biotechnology',
  'Chemicals',
  'Construction',
  'Electronics',
  'Energy',
  'Finance',
  'Food & Beverage',
  'Machinery',
  'Retail',
  'Technology',
  'Transportation',
];
const PLACES: readonly [string, string, string][] = [
  ['Oslo', 'Norway', '+47'],
  ['Berlin', 'Germany', '+49'],
  ['Austin', 'United States', '+1'],
  ['Lyon', 'France', '+33'],
  ['Porto', 'Portugal', '+351'],
  ['Toronto', 'Canada', '+1'],
  ['Madrid', 'Spain', '+34'],
  ['Denver', 'United States', '+1'],
  ['Helsinki', 'Finland', '+358'],
  ['Utrecht', 'Netherlands', '+31'],
];
const FIRST = [
  'Ada',
  'Bjørn',
  'Chloé',
  'Diego',
  'Emma',
  'Farid',
  'Grace',
  'Hiroshi',
  'Ingrid',
  'José',
  'Kari',
  'Liam',
  'Mei',
  'Nils',
  'Olga',
  'Priya',
  'Quentin',
  'Rosa',
  'Sven',
  'Tomás',
];
const LAST = [
  'Andersen',
  'Becker',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'García',
  'Hansen',
  "O'Brien",
  'Jensen',
  'Kowalski',
  'Larsen',
  'Martin',
  'Nakamura',
  'Olsen',
  'Petrov',
];
const TITLES = [
  'CFO',
  'Head of Procurement',
  'Buyer',
  'Operations Manager',
  'CEO',
  'Accounts Payable',
  'IT Director',
  'Logistics Lead',
];
const STATUSES = ['Customer', 'Prospect', 'Partner'];

export interface SampleCustomer {
  readonly customer_no: string;
  readonly name: string;
  readonly phone: string;
  readonly email: string;
  readonly website: string;
  readonly industry: string;
  readonly city: string;
  readonly country: string;
  readonly annual_revenue: number;
  readonly employees: number;
  readonly status: string;
}

export interface SampleContact {
  readonly contact_no: string;
  readonly first_name: string;
  readonly last_name: string;
  readonly email: string;
  readonly phone: string;
  readonly title: string;
  readonly customer_no: string;
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '');
}

export function sampleCustomer(random: () => number, n: number): SampleCustomer {
  const name = `${pick(random, PREFIXES)} ${pick(random, SUFFIXES)} ${pick(random, FORMS)}`;
  const [city, country, cc] = pick(random, PLACES);
  const digits = String(Math.floor(random() * 9_000_000) + 1_000_000);
  return {
    customer_no: `C${String(n).padStart(7, '0')}`,
    name: n % 97 === 0 ? `${name}, "Main" branch` : name,
    phone: cc === '+1' ? `+1${String(200 + Math.floor(random() * 700))}${digits}` : `${cc}${digits}`,
    email: `info@${slug(name)}.example`,
    website: `https://www.${slug(name)}${n}.example`,
    industry: pick(random, INDUSTRIES),
    city,
    country,
    annual_revenue: Math.round(random() * 500_000) * 1000,
    employees: 5 + Math.floor(random() * 5000),
    status: pick(random, STATUSES),
  };
}

export function sampleContact(random: () => number, n: number, customerNo: string): SampleContact {
  const first = pick(random, FIRST);
  const last = pick(random, LAST);
  return {
    contact_no: `P${String(n).padStart(7, '0')}`,
    first_name: first,
    last_name: last,
    email: `${slug(first)}.${slug(last)}${n}@mail.example`,
    phone: `+4755${String(Math.floor(random() * 900_000) + 100_000)}`,
    title: pick(random, TITLES),
    customer_no: customerNo,
  };
}
