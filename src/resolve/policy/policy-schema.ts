import { z } from 'zod';
import { EXISTENCE_POLICIES } from '../existence-strategy.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** `{ equals: x }`, `{ not: x }`, `{ in: [...] }`, `{ not-in: [...] }`, `{ empty: true|false }`: exactly one. */
const operatorTest = z
  .strictObject({
    equals: scalar.optional(),
    not: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
    'not-in': z.array(scalar).min(1).optional(),
    empty: z.boolean().optional(),
  })
  .refine((test) => Object.keys(test).length <= 1, {
    message: 'a test needs exactly one operator: equals, not, in, not-in or empty',
  });

export const conditionSchema = z.record(z.string(), z.union([scalar, operatorTest]));

export const ruleSchema = z.strictObject({
  /** The strategy: a built-in name or a registered custom one. */
  use: z.string().min(1),
  when: conditionSchema.optional(),
  /** For prefer-non-empty, max and min: who decides when the strategy cannot. */
  otherwise: z.string().min(1).optional(),
  /** For custom strategies: passed to the factory. */
  params: z.record(z.string(), z.unknown()).optional(),
});
export type RuleInput = z.infer<typeof ruleSchema>;

/** A field's rules may be written as a strategy name, one rule, or a list of rules tried in order. */
const asRuleList = (value: unknown): unknown =>
  typeof value === 'string'
    ? [{ use: value }]
    : value !== null && typeof value === 'object' && !Array.isArray(value)
      ? [value]
      : value;
const asRule = (value: unknown): unknown => (typeof value === 'string' ? { use: value } : value);

export const policySchema = z.strictObject({
  /** The mapping this file is for; omit in a file several mappings share. */
  object: z.string().min(1).optional(),
  /** An admin-written label, recorded with the content hash in every decision. */
  version: z.union([z.string().min(1), z.number()]).optional(),
  /** The strategy for fields without a rule. */
  default: z.preprocess(asRule, ruleSchema.omit({ when: true })).optional(),
  /** latest-wins tie-break: the side that wins when both edits have the same time. */
  tie: z.enum(['erp', 'crm']).optional(),
  /**
   * latest-wins: milliseconds each system's clock is known to run ahead of true time (negative: behind), subtracted
   * from that side's modification time before comparing. At most a day either way.
   */
  clockSkewMs: z
    .strictObject({
      erp: z.number().int().min(-86_400_000).max(86_400_000).optional(),
      crm: z.number().int().min(-86_400_000).max(86_400_000).optional(),
    })
    .optional(),
  /** Delete-versus-change. */
  deletes: z.enum(EXISTENCE_POLICIES).optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

/** One field's rules, validated field by field so that one bad field does not hide problems in the others. */
export const fieldRulesSchema = z.preprocess(asRuleList, z.array(ruleSchema).min(1));
export type PolicyInput = z.infer<typeof policySchema>;

export const POLICY_KEYS: readonly string[] = Object.keys(policySchema.shape);
export const RULE_KEYS: readonly string[] = Object.keys(ruleSchema.shape);
