/**
 * What `ocibundle <unknown command>` prints: the word that is not a command, the commands it is
 * closest to ("did you mean"), and where the list of commands is; exit code 2 (usage), as for
 * any other wrong command line. @oclif/plugin-not-found does the same on a terminal only, asks
 * a question there and exits 127; this answer is the same everywhere, also in CI logs.
 */
import type { Hook } from '@oclif/core/hooks'
import { distance } from 'fastest-levenshtein'
import { ExitCode } from '../exit-codes.js'
import { style } from '../render.js'

const hook: Hook<'command_not_found'> = async function (opts) {
  const separator = opts.config.topicSeparator
  const shown = (id: string): string => id.replaceAll(':', separator)
  const commands = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  // oclif joins every word before the first flag into the id; the arguments are among them:
  // the mistyped command is the leading words closest to a command.
  const words = opts.id.split(':')
  let mistyped = words[0]!
  let best: Array<{ c: string; d: number }> = []
  for (let n = 1; n <= words.length; n++) {
    const candidate = words.slice(0, n).join(':')
    // A topic is a correct word, not the mistyped one (`registry chek`).
    if (opts.config.findTopic(candidate)) continue
    const found = closestCommands(candidate, commands)
    if (found.length > 0 && (best.length === 0 || found[0]!.d <= best[0]!.d)) {
      mistyped = candidate
      best = found
    }
  }
  const suggestions = best.map(({ c }) => `${opts.config.bin} ${shown(c)}`)
  const message = `"${shown(mistyped)}" is not an ${opts.config.bin} command${suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : ''}`
  const help = `see every command with: ${opts.config.bin} help`
  // Not opts.argv: oclif cuts it by the number of `:` in the id, and references have colons of their own.
  if (process.argv.slice(2).includes('--json')) {
    const error = { name: 'UsageError', code: 'ERR_UNKNOWN_COMMAND', message, suggestions: [...suggestions, help] }
    process.stdout.write(`${JSON.stringify({ status: ExitCode.Usage, error, warnings: [] }, null, 2)}\n`)
  } else {
    process.stderr.write(`${style.red('Error')}: ${message}\n  ${style.dim('→')} ${help}\n`)
  }
  this.exit(ExitCode.Usage)
}

export default hook

/**
 * The command ids nearest to `id` by edit distance (at most a third of the word, at least 2), or
 * those that start with it (distance 0); the nearest first, three at most.
 */
export function closestCommands(id: string, commands: readonly string[]): Array<{ c: string; d: number }> {
  const limit = Math.max(2, Math.floor(id.length / 3))
  return commands
    .map((c) => ({ c, d: c.startsWith(id) ? 0 : distance(id, c) }))
    .filter(({ d }) => d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 3)
}
