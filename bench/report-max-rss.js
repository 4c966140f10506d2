// Preloaded with `node --import` into a process being measured: prints its peak resident set
// size (KiB) on stderr when it exits. VmHWM is this process image's own high-water mark;
// getrusage's maxrss is not usable here because Linux carries it over from the parent across
// fork and exec, so a benchmark parent holding test data would be counted too.
import { readFileSync, writeSync } from 'node:fs'

process.on('exit', () => {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
  writeSync(2, `max-rss-kib=${hwm ? hwm[1] : process.resourceUsage().maxRSS}\n`)
})
