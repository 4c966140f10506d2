import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { formatBundleFiles } from '../cnab/format.js'
import { BaseCommand } from '../cli/base-command.js'
import { ExitCode } from '../cli/exit-codes.js'
import { style } from '../cli/render.js'
import { UsageError } from '../errors.js'

export interface FmtResult {
  files: Array<{ file: string; canonical: boolean; changed: boolean; size: number }>
}

export default class Fmt extends BaseCommand<FmtResult> {
  static override summary = 'rewrite bundle.json files as canonical JSON (RFC 8785)'
  static override description = `CNAB requires bundle.json to be canonical JSON, because its exact bytes are what gets hashed, pushed and signed. This rewrites each file in the RFC 8785 form that cnab-go and cnab-to-oci produce: keys sorted, no insignificant white space, numbers and strings in their shortest form. The file is replaced atomically; a file that is not valid JSON, or has duplicate keys, is left untouched and reported.

With --check nothing is written: the command exits 3 if any file is not canonical.`
  static override examples = [
    { description: 'Canonicalise a bundle in place', command: '<%= config.bin %> <%= command.id %> bundle.json' },
    {
      description: 'Fail a CI job when a committed bundle is not canonical',
      command: '<%= config.bin %> <%= command.id %> --check bundles/*/bundle.json',
    },
    {
      description: 'Print the canonical bytes instead of writing them',
      command: '<%= config.bin %> <%= command.id %> --stdout bundle.json > canonical.json',
    },
  ]
  static override strict = false
  static override args = {
    file: Args.string({ description: 'bundle.json file(s) to format', required: true }),
  }
  static override flags = {
    check: Flags.boolean({ default: false, summary: 'only report files that are not canonical; write nothing', exclusive: ['stdout'] }),
    stdout: Flags.boolean({ default: false, summary: 'write the canonical bytes to stdout instead of the file (one file only)' }),
  }

  async run(): Promise<FmtResult> {
    const { argv, flags } = await this.parse(Fmt)
    const paths = argv as string[]
    if (flags.stdout && paths.length !== 1)
      throw new UsageError('--stdout takes exactly one file', { suggestions: ['run the command once per file'] })
    const formatted = await formatBundleFiles(paths, { write: !flags.check && !flags.stdout })
    for (const f of formatted) {
      if (flags.stdout) process.stdout.write(f.bytes)
      else if (f.canonical) this.out(`${style.green('✔')} ${f.file}: already canonical`)
      else if (flags.check) this.out(`${style.red('✖')} ${f.file}: not canonical (run: ocibundle fmt ${f.file})`)
      else this.out(`${style.green('✔')} ${f.file}: rewritten as canonical JSON (${f.bytes.length} bytes)`)
    }
    if (flags.check && formatted.some((f) => !f.canonical)) this.setExitCode(ExitCode.Invalid)
    return { files: formatted.map((f) => ({ file: f.file, canonical: f.canonical, changed: f.changed, size: f.bytes.length })) }
  }
}
