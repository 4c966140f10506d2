/**
 * Asserts that a thrown value does not carry a secret anywhere a user or a log could see it:
 * message, stack, JSON form (enumerable properties) and util.inspect (which includes causes).
 */
import assert from 'node:assert/strict'
import { inspect } from 'node:util'

export function assertNoSecrets(err: unknown, secrets: readonly string[]): void {
  const renderings = [String(err), (err as Error).stack ?? '', JSON.stringify(err) ?? '', inspect(err, { depth: Infinity })]
  for (const secret of secrets) {
    for (const text of renderings) assert.ok(!text.includes(secret), `secret ${JSON.stringify(secret.slice(0, 4))}… leaked into:\n${text}`)
  }
}

/** Runs `fn`, expects it to throw, and returns what it threw. */
export async function thrownBy(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn()
  } catch (err) {
    return err
  }
  assert.fail('expected a rejection')
}
