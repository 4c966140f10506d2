/**
 * Asking before something is removed: a yes/no question on the terminal, no by default. Where
 * no one can answer (stdin is not a terminal), the command must be given --yes instead.
 */
import { createInterface } from 'node:readline/promises'
import { UsageError } from '../errors.js'

/** Whether someone can answer a question on stdin. */
export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY)
}

/** Throws UsageError unless `yes` was given or someone can be asked. */
export function requireConfirmation(yes: boolean, what: string): void {
  if (yes || canAsk()) return
  throw new UsageError(`refusing to ${what} without --yes: stdin is not a terminal to confirm on`, {
    suggestions: ['add --yes to confirm in scripts and CI'],
  })
}

/** Asks `question` on stderr and reads the answer from the terminal; only y or yes is yes. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim())
  } finally {
    rl.close()
  }
}
