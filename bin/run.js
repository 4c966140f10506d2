#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8'
import { execute } from '@oclif/core/execute'

// undici parses HTTP with a WebAssembly build of llhttp. V8 recompiles its hot functions with
// TurboFan on a background thread; that job competes with the transfer for CPU and, still
// running when a command is done, holds the process open for ~100 ms at exit. The baseline
// compiler's code is fast enough for HTTP framing, so the CLI stays with it. Set before the
// first connection, which is when undici compiles the module.
setFlagsFromString('--liftoff-only')

await execute({ dir: import.meta.url })
