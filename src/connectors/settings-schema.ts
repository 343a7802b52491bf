import { z } from 'zod';
import { unknownKeysMessage } from '../config/closest-match.js';

/**
 * Building blocks for a connector's settings schema (`ConnectorDescriptor.settings`), so every connector reports
 * problems in tandem.yaml the same way: an unknown key names the closest allowed key and lists all of them.
 */

/** A strict object: an unknown key is an issue naming the closest allowed key and listing all of them. */
export function strictSettings<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownKeysMessage(issue.keys, allowed) : undefined),
  });
}

/** An http(s) URL; `what` names the setting in the message, e.g. `crm.loginUrl`. */
export function httpUrl(what: string, example = 'https://acme.my.salesforce.com') {
  return z.string().refine((value) => /^https?:\/\/[^\s/]+/i.test(value) && URL.canParse(value), {
    error: `${what} must be an http(s) URL, e.g. ${example}`,
  });
}

/** A string that must not be empty; `what` names the setting in the message. */
export function nonEmpty(what: string) {
  return z.string().min(1, { error: `${what} must not be empty` });
}
