import { spawnSync } from 'node:child_process';
import { systemOpensslEnv } from '../src/env';

/** Runs the system openssl (test certificates); throws with its stderr on failure. */
export function openssl(args: string[], cwd?: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8', env: systemOpensslEnv() });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

/** A self-signed certificate and its unencrypted key, valid two days. */
export function selfSignedCertificate(keyFile: string, certFile: string, commonName: string): void {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    `/CN=${commonName}`,
  ]);
}
