import { describe, expect, it } from 'vitest';
import { html, jsonForScript, raw } from '../../src/console/html.js';

describe('the console html tag', () => {
  it('escapes every interpolated value, attributes included, and keeps nested html as is', () => {
    const evil = `"><script>alert('x')</script>&`;
    const bold = html`<b>${evil}</b>`;
    // prettier-ignore
    const out = html`<td title="${evil}">${evil}</td>${bold}`.text;
    expect(out).toBe(
      '<td title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</td><b>&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</b>',
    );
    expect(out).not.toContain('<script>');
  });

  it('joins lists, drops null, undefined and false, prints numbers; raw() is kept', () => {
    expect(html`${['a<', html`<i>b</i>`, null, undefined, false, 3]}${raw('<br>')}`.text).toBe('a&lt;<i>b</i>3<br>');
  });

  it('JSON for a script block cannot close it', () => {
    const text = jsonForScript({ key: '</script><script>alert(1)</script>&' }).text;
    expect(text).not.toContain('</script>');
    expect(JSON.parse(text)).toEqual({ key: '</script><script>alert(1)</script>&' });
  });
});
