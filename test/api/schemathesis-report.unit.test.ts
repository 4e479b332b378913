import t from 'tap';
import { findingsOf, formatFinding } from './schemathesis-report.js';

// Shaped as schemathesis 4.32.5 writes its JUnit report.
const report = `<?xml version="1.0" encoding="utf-8"?>
<testsuites errors="1" failures="1" skipped="0" tests="3" time="8.6">
  <testsuite name="schemathesis" hostname="vm" errors="1" failures="1" skipped="0" tests="3" time="8.6">
    <testcase name="GET /tasks/{id}/events" time="4.1">
      <failure type="failure" message="ST101">1. Test Case ID: nMKRzm

- ST101 Server error

[501] Not Implemented:

    \`{&quot;error&quot;:{&quot;code&quot;:&quot;method_not_implemented&quot;}}\`

Reproduce with:

    curl -X TRACE -H 'Authorization: [Filtered]' 'http://127.0.0.1:1/api/v1/tasks/0/events?a=1&amp;b=2'

2. Test Case ID: UO2Ctu

- ST108 SSE event violates schema
- ST103 Undocumented Content-Type

Reproduce with:

    curl -X GET -H 'Authorization: [Filtered]' http://127.0.0.1:1/api/v1/tasks/x/events</failure>
    </testcase>
    <testcase name="GET /tasks/{id}/result" time="5.0">
      <error type="error" message="Network Error">Network Error

Read timed out after 5.0 seconds

Reproduce with:

    curl -X GET 'http://127.0.0.1:1/api/v1/tasks/x/result?wait_seconds=59'</error>
    </testcase>
    <testcase name="GET /health" time="0.05" />
    <testcase name="Stateful tests" time="0.2" />
  </testsuite>
</testsuites>`;

t.test('each failing case and each error of the JUnit report is one finding', async (t) => {
  t.same(findingsOf(report), [
    {
      operation: 'GET /tasks/{id}/events',
      problems: ['ST101 Server error'],
      curl: "curl -X TRACE -H 'Authorization: [Filtered]' 'http://127.0.0.1:1/api/v1/tasks/0/events?a=1&b=2'",
    },
    {
      operation: 'GET /tasks/{id}/events',
      problems: ['ST108 SSE event violates schema', 'ST103 Undocumented Content-Type'],
      curl: "curl -X GET -H 'Authorization: [Filtered]' http://127.0.0.1:1/api/v1/tasks/x/events",
    },
    { operation: 'GET /tasks/{id}/result', problems: ['Network Error'], curl: "curl -X GET 'http://127.0.0.1:1/api/v1/tasks/x/result?wait_seconds=59'" },
  ]);
  t.equal(
    formatFinding(findingsOf(report)[0]!),
    "GET /tasks/{id}/events: ST101 Server error\n    curl -X TRACE -H 'Authorization: [Filtered]' 'http://127.0.0.1:1/api/v1/tasks/0/events?a=1&b=2'",
  );
  t.same(findingsOf(report.replace(/<failure[\s\S]*?<\/failure>|<error[\s\S]*?<\/error>/g, '')), [], 'a clean report has none');
});
