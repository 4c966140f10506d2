/**
 * The validation pipeline: load (bytes) → shape → JSON Schema → semantic rules. Each stage reports
 * issues instead of stopping, except when the document is not a usable JSON object at all.
 */
import { clipped, sortIssues, type Issue, type ValidationMode } from './issue.js'
import { documentShapeIssues, loadBundleBytes, readBundleFile, type LoadedBundle } from './load.js'
import { runSemanticRules } from './rules/registry.js'
import { validateBundleSchema } from './schema.js'

/** Options of validateBundle and validateBundleFile. */
export interface ValidateOptions {
  /** Default 'lint'. 'publish' turns publish-readiness findings into errors. */
  mode?: ValidationMode
  /** Name used in messages about the bytes, such as a file path. */
  source?: string
}

/** The outcome of validating one bundle. */
export interface ValidationResult {
  /** No issue has severity 'error'. */
  valid: boolean
  /** Sorted by pointer, then rule id. */
  issues: Issue[]
  /**
   * The input bytes are exactly the canonical (RFC 8785) form of the bundle. For an already-parsed
   * value there are no input bytes: true when the value has a canonical form.
   */
  canonical: boolean
  /** The document passed bundle.schema.json (false when it could not be parsed). */
  schemaValid: boolean
}

/**
 * Validates a bundle. Bytes and strings are parsed strictly as bundle.json text (a string is
 * always treated as JSON text, never as an already-parsed JSON string); anything else is taken as
 * an already-parsed JSON value.
 * @throws SizeLimitError when bytes or text exceed MAX_BUNDLE_BYTES
 */
export function validateBundle(input: Uint8Array | string | unknown, options: ValidateOptions = {}): ValidationResult {
  if (input instanceof Uint8Array || typeof input === 'string') {
    const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
    return validateLoaded(loadBundleBytes(bytes, options.source), options)
  }
  return validateParsed(input, undefined, documentShapeIssues(input), options)
}

/**
 * Reads (with the MAX_BUNDLE_BYTES bound) and validates a bundle file.
 * @throws NotFoundError, SizeLimitError or InputError when the file cannot be read
 */
export async function validateBundleFile(path: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  return validateLoaded(await readBundleFile(path), options)
}

/** The outcome for one file of validateBundleFiles. */
export interface ValidatedFile {
  /** The path as given. */
  file: string
  /** No errors (and, with `strict`, no warnings). */
  valid: boolean
  /** As in ValidationResult. */
  canonical: boolean
  /** As in ValidationResult. */
  schemaValid: boolean
  /** Issues of severity 'error'. */
  errors: number
  /** Issues of any other severity. */
  warnings: number
  /** Sorted by pointer, then rule id. */
  issues: Issue[]
}

/** Options of validateBundleFiles. */
export interface ValidateFilesOptions {
  /** Default 'lint'. */
  mode?: ValidationMode
  /** Warnings make a file invalid too. Default false. */
  strict?: boolean
  /** Hears about each file as soon as it is checked, in order. */
  onFile?: (file: ValidatedFile) => void
}

/** The outcome of validateBundleFiles. */
export interface ValidateFilesResult {
  /** The mode the files were validated in. */
  mode: ValidationMode
  /** Every file is valid. */
  valid: boolean
  /** One entry per path, in the order given. */
  files: ValidatedFile[]
}

/**
 * Validates bundle files one after the other (what `ocibundle validate` does), counting errors
 * and warnings per file. Throws like validateBundleFile for a file that cannot be read.
 */
export async function validateBundleFiles(paths: readonly string[], options: ValidateFilesOptions = {}): Promise<ValidateFilesResult> {
  const mode = options.mode ?? 'lint'
  const files: ValidatedFile[] = []
  for (const file of paths) {
    const result = await validateBundleFile(file, { mode, source: file })
    const errors = result.issues.filter((i) => i.severity === 'error').length
    const warnings = result.issues.length - errors
    const checked: ValidatedFile = {
      file,
      valid: errors === 0 && (!options.strict || warnings === 0),
      canonical: result.canonical,
      schemaValid: result.schemaValid,
      errors,
      warnings,
      issues: result.issues,
    }
    files.push(checked)
    options.onFile?.(checked)
  }
  return { mode, valid: files.every((f) => f.valid), files }
}

function validateLoaded(loaded: LoadedBundle, options: ValidateOptions): ValidationResult {
  if (loaded.value === undefined) return finish(loaded.issues, false, false)
  return validateParsed(loaded.value, loaded.raw, loaded.issues, options)
}

function validateParsed(value: unknown, raw: Uint8Array | undefined, loadIssues: Issue[], options: ValidateOptions): ValidationResult {
  // Schema and rules would only repeat "not an object" or overflow the stack on absurd nesting.
  if (loadIssues.some((i) => ['json-not-object', 'json-nesting-depth', 'json-key-length'].includes(i.rule)))
    return finish(loadIssues, false, false)
  const schemaIssues = validateBundleSchema(value)
  const ruleIssues = runSemanticRules(value, { mode: options.mode ?? 'lint', raw })
  const canonical = !ruleIssues.some((i) => i.rule === 'canonical-json')
  return finish([...loadIssues, ...schemaIssues, ...ruleIssues], canonical, schemaIssues.length === 0)
}

/** The longest message an issue carries: every check quotes values short (quoted), this bounds the rest. */
const MAX_MESSAGE_LENGTH = 1000

function finish(issues: Issue[], canonical: boolean, schemaValid: boolean): ValidationResult {
  const bounded = issues.map((i) => (i.message.length > MAX_MESSAGE_LENGTH ? { ...i, message: clipped(i.message, MAX_MESSAGE_LENGTH) } : i))
  return { valid: !issues.some((i) => i.severity === 'error'), issues: sortIssues(bounded), canonical, schemaValid }
}
