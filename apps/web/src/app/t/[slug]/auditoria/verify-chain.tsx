'use client';

import { useState } from 'react';
import { formatDateTime } from '~/lib/format';
import { dictionary, type Locale } from '~/lib/i18n';
import { errorMessages, trpc } from '~/lib/trpc';

type Verification = Awaited<ReturnType<typeof trpc.audit.verify.query>>;

/** "Verify chain": the whole hash chain and its anchors checked on the server, on demand. */
export function VerifyChain({ slug, locale }: { slug: string; locale: Locale }) {
  const a = dictionary(locale).auditUi;
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Verification | null>(null);
  const [problems, setProblems] = useState<string[]>([]);

  async function verify() {
    setBusy(true);
    setProblems([]);
    try {
      setResult(await trpc.audit.verify.query({ tenantSlug: slug }));
    } catch (error) {
      setResult(null);
      setProblems(errorMessages(error, locale));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card verify">
      <button className="primary" type="button" onClick={() => void verify()} disabled={busy}>
        {busy ? a.verifying : a.verify}
      </button>
      {problems.length > 0 && (
        <p className="error" role="alert">
          {problems.join(' ')}
        </p>
      )}
      {result && (
        <div role="status" className={result.ok ? 'ok' : 'error'}>
          <p>
            <strong>
              {result.ok
                ? `✓ ${a.verifyOk(result.entries)}`
                : `✗ ${a.verifyBroken(result.firstBrokenSeq ?? 0)}`}
            </strong>
            {!result.ok && result.reason && <> — {a.reasons[result.reason] ?? result.reason}</>}
          </p>
          {!result.ok && result.problemCount > 1 && (
            <details>
              <summary>{a.problems(result.problemCount)}</summary>
              <ul>
                {result.problems.map((p, i) => (
                  <li key={i}>
                    {'seq' in p ? p.seq : p.anchorSeq}: {a.reasons[p.kind] ?? p.kind}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <p className="muted">
            {result.anchoredSeq !== null && result.anchoredAt
              ? a.anchored(result.anchoredSeq, formatDateTime(result.anchoredAt, locale))
              : a.notAnchored}
          </p>
          {result.headHash && (
            <p className="muted">
              {a.head} (N.º {result.headSeq}): <code>{result.headHash}</code>
            </p>
          )}
        </div>
      )}
    </section>
  );
}
