'use client';

import { useRouter } from 'next/navigation';

/** One person, several companies: the company being worked on, switchable in place. */
export function CompanySwitch({
  current,
  companies,
  label,
}: {
  current: string;
  companies: Array<{ slug: string; legalName: string }>;
  label: string;
}) {
  const router = useRouter();
  if (companies.length < 2) return null;
  return (
    <select
      aria-label={label}
      value={current}
      onChange={(event) => router.push(`/t/${event.target.value}`)}
    >
      {companies.map((c) => (
        <option key={c.slug} value={c.slug}>
          {c.legalName}
        </option>
      ))}
    </select>
  );
}
