/**
 * Reads what schemathesis found from its JUnit report: one test case per operation, whose
 * <failure> or <error> text lists each failing generated case, its checks and its curl.
 */

export type Finding = {
  /** The operation of the document, `GET /tasks/{id}`; the curl may use another method (an unsupported-method probe). */
  readonly operation: string;
  /** `ST101 Server error`, or the error's title (`Network Error`). */
  readonly problems: readonly string[];
  /** The curl schemathesis prints to reproduce it, with its credentials filtered. */
  readonly curl: string | null;
};

const entities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

const unescape = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) =>
    name.startsWith('#x')
      ? String.fromCodePoint(Number.parseInt(name.slice(2), 16))
      : name.startsWith('#')
        ? String.fromCodePoint(Number(name.slice(1)))
        : (entities[name] ?? whole),
  );

const curlOf = (block: string): string | null => /^\s*(curl .+)$/m.exec(block)?.[1]?.trim() ?? null;

export const findingsOf = (junitXml: string): Finding[] => {
  const findings: Finding[] = [];
  for (const [, name = '', body = ''] of junitXml.matchAll(/<testcase name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const operation = unescape(name);
    for (const [, kind, text = ''] of body.matchAll(/<(failure|error)\b[^>]*>([\s\S]*?)<\/\1>/g)) {
      const content = unescape(text);
      if (kind === 'failure') {
        // Each failing case starts with "<n>. Test Case ID: <id>" and lists its checks as "- <code> <title>".
        for (const block of content.split(/^\d+\. Test Case ID: /m).slice(1)) {
          findings.push({ operation, problems: [...block.matchAll(/^- (.+)$/gm)].map((match) => match[1] ?? ''), curl: curlOf(block) });
        }
      } else {
        findings.push({ operation, problems: [content.trim().split('\n')[0] ?? 'error'], curl: curlOf(content) });
      }
    }
  }
  return findings;
};

export const formatFinding = (finding: Finding): string => `${finding.operation}: ${finding.problems.join('; ')}${finding.curl ? `\n    ${finding.curl}` : ''}`;
