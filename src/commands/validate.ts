import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { validateBundleFiles, type ValidatedFile, type ValidateFilesResult } from '../cnab/validate.js'
import { BaseCommand } from '../cli/base-command.js'
import { ExitCode } from '../cli/exit-codes.js'
import { plural, style, table } from '../cli/render.js'

export default class Validate extends BaseCommand<ValidateFilesResult> {
  static override summary = 'check CNAB bundle.json files against the schema and the CNAB rules'
  static override description = `Checks each file in three stages: strict JSON (duplicate keys are an error), the official CNAB bundle JSON Schema, and the CNAB rules the schema cannot express (versions, image digests, parameter and output paths, definitions and their defaults, extensions, canonical form). Every problem is printed with its JSON pointer, rule id and severity.

--mode publish applies the stricter rules for a bundle about to be published: every image needs contentDigest, size and mediaType, and the bytes must be canonical JSON (see "ocibundle fmt").

Exits 0 when every file is valid (warnings allowed), 3 when any file has errors (or warnings with --strict), 6 when a file does not exist.`
  static override examples = [
    { description: 'Check a bundle while editing it', command: '<%= config.bin %> <%= command.id %> bundles/shop/bundle.json' },
    {
      description: 'Check that bundles are ready to publish, failing on warnings too',
      command: '<%= config.bin %> <%= command.id %> --mode publish --strict bundles/*/bundle.json',
    },
    { description: 'Machine-readable result for CI', command: '<%= config.bin %> <%= command.id %> --json bundle.json' },
  ]
  static override strict = false
  static override args = {
    file: Args.string({ description: 'bundle.json file(s) to check', required: true }),
  }
  static override flags = {
    mode: Flags.option({
      options: ['lint', 'publish'] as const,
      default: 'lint' as const,
      summary: 'lint: authoring checks; publish: also require what publishing needs',
    })(),
    strict: Flags.boolean({ default: false, summary: 'treat warnings as errors' }),
    quiet: Flags.boolean({ char: 'q', default: false, summary: 'print only files with problems' }),
  }

  async run(): Promise<ValidateFilesResult> {
    const { argv, flags } = await this.parse(Validate)
    const result = await validateBundleFiles(argv as string[], {
      mode: flags.mode,
      strict: flags.strict,
      onFile: (f) => (!flags.quiet || f.issues.length > 0) && this.out(renderFile(f)),
    })
    if (!result.valid) this.setExitCode(ExitCode.Invalid)
    return result
  }
}

function renderFile(f: ValidatedFile): string {
  const counts = [f.errors > 0 ? plural(f.errors, 'error') : '', f.warnings > 0 ? plural(f.warnings, 'warning') : '']
    .filter(Boolean)
    .join(', ')
  const head = f.valid
    ? `${style.green('✔')} ${f.file}: valid${counts ? ` (${counts})` : ''}`
    : `${style.red('✖')} ${f.file}: invalid (${counts})`
  if (f.issues.length === 0) return head
  const rows = f.issues.map((i) => [
    i.severity === 'error' ? style.red('error') : style.yellow('warning'),
    i.pointer || '/',
    style.dim(i.rule),
    i.message,
  ])
  return `${head}\n${table(rows, '  ')}`
}
