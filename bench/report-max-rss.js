// Preloaded with `node --import` into a process being measured: prints its peak resident set
// size (KiB, from getrusage) on stderr when it exits.
import { writeSync } from 'node:fs'

process.on('exit', () => {
  writeSync(2, `max-rss-kib=${process.resourceUsage().maxRSS}\n`)
})
