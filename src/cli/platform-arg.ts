/** Parsing `--platform os/arch[/variant]`, the form docker and oras use. */
import { UsageError } from '../errors.js'
import type { Platform } from '../oci/descriptor.js'

export function parsePlatform(value: string): Platform {
  const [os, architecture, variant, ...rest] = value.split('/')
  if (!os || !architecture || rest.length > 0) {
    throw new UsageError(`invalid platform "${value}": expected os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8`)
  }
  return { os, architecture, ...(variant !== undefined && { variant }) }
}
