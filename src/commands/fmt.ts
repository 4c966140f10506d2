import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { canonicalBytes, isCanonical, readBundleFile } from '../cnab/index.js'
import { BaseCommand } from '../cli/base-command.js'
import { ExitCode } from '../cli/exit-codes.js'
import { style } from '../cli/render.js'
import { InputError } from '../errors.js'
import { writeFileAtomic } from '../util/files.js'

export interface FmtResult {
  files: Array<{ file: string; canonical: boolean; changed: boolean; size: number }>
}

export default class Fmt extends BaseCommand<FmtResult> {
  static override summary = 'rewrite bundle.json files as canonical JSON (RFC 8785)'
  static override description = `CNAB requires bundle.json to be canonical JSON, because its exact bytes are what gets
hashed, pushed and signed. This rewrites each file in the RFC 8785 form that cnab-go and
cnab-to-oci produce: keys sorted, no insignificant white space, numbers and strings in their
shortest form. The file is replaced atomically; a file that is not valid JSON, or has duplicate
keys, is left untouched and reported.

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
      throw new InputError('--stdout takes exactly one file', { suggestions: ['run the command once per file'] })
    const files: FmtResult['files'] = []
    for (const file of paths) {
      const loaded = await readBundleFile(file)
      const fatal = loaded.issues.filter((i) => i.severity === 'error')
      if (loaded.value === undefined || fatal.length > 0) {
        throw new InputError(`${file}: cannot format: ${fatal.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; ')}`, {
          suggestions: ['fix the JSON first; "ocibundle validate" lists every problem with its location'],
        })
      }
      const canonical = isCanonical(loaded.raw)
      const bytes = canonicalBytes(loaded.value)
      if (flags.stdout) {
        process.stdout.write(bytes)
      } else if (!flags.check && !canonical) {
        await writeFileAtomic(file, bytes)
      }
      files.push({ file, canonical, changed: !canonical && !flags.check && !flags.stdout, size: bytes.length })
      if (!flags.stdout) {
        this.out(
          canonical
            ? `${style.green('✔')} ${file}: already canonical`
            : flags.check
              ? `${style.red('✖')} ${file}: not canonical (run: ocibundle fmt ${file})`
              : `${style.green('✔')} ${file}: rewritten as canonical JSON (${bytes.length} bytes)`,
        )
      }
    }
    if (flags.check && files.some((f) => !f.canonical)) this.setExitCode(ExitCode.Invalid)
    return { files }
  }
}
