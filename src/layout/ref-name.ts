/**
 * Which strings may name a manifest in a layout's index.json.
 * References:
 *  - https://github.com/opencontainers/image-spec/blob/v1.1.1/annotations.md (ref.name grammar)
 *  - https://github.com/distribution/reference/blob/main/regexp.go (Docker tag grammar)
 */
import { InvalidReferenceError } from '../errors.js'

/** ref ::= component ("/" component)*; component ::= alphanum (separator alphanum)*; separator ::= [-._:@+] | "--". */
const COMPONENT = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*'
const REF_NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
/** Docker tags: what registries accept, so a layout tag can always be copied to a registry. */
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/**
 * Checks a tag for a layout. Accepted: the image spec's `org.opencontainers.image.ref.name`
 * grammar, and every Docker tag (which the spec grammar rejects in places, e.g. `_x` or `v1-`),
 * so any tag pulled from a registry can be stored. Throws InvalidReferenceError saying why not.
 */
export function validateRefName(name: string): void {
  if (DOCKER_TAG.test(name) || REF_NAME.test(name)) return
  throw new InvalidReferenceError(
    name,
    'a layout tag must be a Docker tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}) or an OCI ref.name ' +
      '(alphanumeric components joined by one of - . _ : @ + or "--", separated by "/")',
  )
}
