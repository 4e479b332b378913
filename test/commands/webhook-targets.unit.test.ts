import t from 'tap';
import { validateTargetUrl, WebhookTargetError } from '../../commands/webhook-targets.js';

t.test('only http(s) URLs to public addresses, unless the team allows private ones', async (t) => {
  for (const [url, range] of [
    ['http://127.0.0.1:8080/x', 'loopback'],
    ['http://10.1.2.3/x', 'private'],
    ['http://192.168.0.10/x', 'private'],
    ['http://169.254.169.254/latest/meta-data', 'linkLocal'],
    ['http://[::1]/x', 'loopback'],
    ['http://[fe80::1]/x', 'linkLocal'],
    ['http://[::ffff:10.0.0.1]/x', 'private'],
    ['http://localhost/x', 'loopback'],
  ] as const) {
    await t.rejects(validateTargetUrl(url, false, 'url'), { constructor: WebhookTargetError, field: 'url', message: new RegExp(`a ${range} address`) }, url);
    t.equal(await validateTargetUrl(url, true, 'url'), new URL(url).toString(), `${url} when the policy allows it`);
  }
  t.equal(await validateTargetUrl('https://93.184.215.14/hook', false, 'url'), 'https://93.184.215.14/hook');
  await t.rejects(validateTargetUrl('ftp://93.184.215.14/x', true, 'callback_url'), { field: 'callback_url', message: /http or https, not ftp/ });
  await t.rejects(validateTargetUrl('not a url', true, 'url'), { message: /absolute http\(s\) URL/ });
  await t.rejects(validateTargetUrl('https://user:pw@93.184.215.14/x', true, 'url'), { message: /credentials/ });
});
