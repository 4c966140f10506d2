/**
 * Throwaway X.509 material made with the openssl CLI (Node can sign but cannot issue
 * certificates): a CA plus a server certificate for the TLS variant, a client certificate for
 * the mutual-TLS variant, and a self-signed
 * certificate whose key signs the token variant's JWTs.
 *
 * Every openssl call gets its own minimal config file so the result does not depend on the
 * system's openssl.cnf (Debian's adds extensions that would clash with ours). Keys are EC P-256:
 * generating them takes milliseconds, where RSA-2048 takes ~0.3 s per key on a small CI box.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runTool } from './bins.js'

export interface CertFiles {
  /** PEM private key (unencrypted). */
  keyFile: string
  /** PEM certificate. */
  certFile: string
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

/** Writes an openssl config with a fixed subject and the given v3 extensions. */
async function writeConfig(file: string, commonName: string, extensions: string[]): Promise<void> {
  const text = [
    '[req]',
    'prompt = no',
    'distinguished_name = dn',
    'x509_extensions = ext',
    'req_extensions = ext',
    '[dn]',
    `CN = ${commonName}`,
    '[ext]',
    ...extensions,
    '',
  ].join('\n')
  await writeFile(file, text)
}

/** A self-signed CA certificate (CA:TRUE, keyCertSign) valid for 10 years, written as `<name>.key` / `<name>.pem` in `dir`. */
export async function makeCa(dir: string, name = 'ca'): Promise<CertFiles> {
  const files = { keyFile: join(dir, `${name}.key`), certFile: join(dir, `${name}.pem`) }
  const cnf = join(dir, `${name}.cnf`)
  await writeConfig(cnf, 'ocibundle test CA', [
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
  ])
  await runTool('openssl', ['req', '-x509', '-config', cnf, ...EC_KEY, '-days', '3650', '-keyout', files.keyFile, '-out', files.certFile])
  return files
}

/**
 * A TLS server certificate for 127.0.0.1 (SAN IP:127.0.0.1 and DNS:localhost, CN=127.0.0.1)
 * signed by `ca`, so clients must trust the CA to connect.
 */
export async function makeServerCert(dir: string, ca: CertFiles, name = 'server'): Promise<CertFiles> {
  const files = { keyFile: join(dir, `${name}.key`), certFile: join(dir, `${name}.pem`) }
  const cnf = join(dir, `${name}.cnf`)
  await writeConfig(cnf, '127.0.0.1', [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth',
    'subjectAltName = IP:127.0.0.1, DNS:localhost',
    'authorityKeyIdentifier = keyid',
  ])
  // openssl 3 `req -x509 -CA` issues the certificate in one step, with the extensions of `cnf`.
  await runTool('openssl', [
    'req',
    '-x509',
    '-config',
    cnf,
    ...EC_KEY,
    '-days',
    '3650',
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-keyout',
    files.keyFile,
    '-out',
    files.certFile,
  ])
  return files
}

/** A TLS client certificate (extendedKeyUsage clientAuth, CN=ocibundle test client) signed by `ca`. */
export async function makeClientCert(dir: string, ca: CertFiles, name = 'client'): Promise<CertFiles> {
  const files = { keyFile: join(dir, `${name}.key`), certFile: join(dir, `${name}.pem`) }
  const cnf = join(dir, `${name}.cnf`)
  await writeConfig(cnf, 'ocibundle test client', [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = clientAuth',
    'authorityKeyIdentifier = keyid',
  ])
  await runTool('openssl', [
    'req',
    '-x509',
    '-config',
    cnf,
    ...EC_KEY,
    '-days',
    '3650',
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-keyout',
    files.keyFile,
    '-out',
    files.certFile,
  ])
  return files
}

export interface SigningCert extends CertFiles {
  /** The certificate, for the JWT `x5c` header (the registry's rootcertbundle holds the same cert). */
  cert: X509Certificate
  /** The private key, for node:crypto `sign`. */
  key: KeyObject
}

/** A self-signed certificate + key that signs tokens (ES256) and serves as the registry's rootcertbundle. */
export async function makeSigningCert(dir: string, name = 'token-signer'): Promise<SigningCert> {
  const files = { keyFile: join(dir, `${name}.key`), certFile: join(dir, `${name}.pem`) }
  const cnf = join(dir, `${name}.cnf`)
  await writeConfig(cnf, 'ocibundle-test-issuer', [
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, digitalSignature, keyCertSign',
  ])
  await runTool('openssl', ['req', '-x509', '-config', cnf, ...EC_KEY, '-days', '3650', '-keyout', files.keyFile, '-out', files.certFile])
  const [certPem, keyPem] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)])
  return { ...files, cert: new X509Certificate(certPem), key: createPrivateKey(keyPem) }
}
