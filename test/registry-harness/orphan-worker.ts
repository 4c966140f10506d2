/**
 * Child process for harness.test.ts: starts a plain registry, prints its pid and storage dir as
 * one JSON line, then never calls stop(). Mode `natural`: lets the event loop run dry (the
 * registry must not keep it alive; the 'exit' hook must kill it and remove its dir). Mode
 * `hang`: waits to be SIGKILLed (the watchdog must kill the registry).
 */
import { startRegistry } from '../helpers/registry/server.js'

const mode = process.argv[2]
const registry = await startRegistry('plain')
process.stdout.write(`${JSON.stringify({ pid: registry.pid, storageDir: registry.storageDir })}\n`)
if (mode === 'hang') setInterval(() => {}, 60_000)
