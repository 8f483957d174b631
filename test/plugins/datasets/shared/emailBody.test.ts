import test from 'ava';
import { emailBody, leadingHeaderBlockEnd, stripHeaders, stripHtml } from '../../../../plugins/datasets/shared/emailBody.ts';

const mail = 'From a@b.c  Thu Aug 22 2002\r\nReceived: from x\r\n\tby y\r\nSubject: hi\r\n\r\nHello <bob@x.org>,\r\n\r\n\r\n\r\nsee   you\r\n';

test('headers end at the first blank line', (t) => {
  t.is(stripHeaders(mail), 'Hello <bob@x.org>,\n\n\n\nsee   you\n');
  t.is(stripHeaders('Subject: no body'), '');
  t.is(stripHeaders('A: 1\n \nbody'), 'body');
});

test('emailBody collapses spaces and blank lines; plain text keeps angle brackets', (t) => {
  t.is(emailBody(mail, { stripHtml: true }), 'Hello <bob@x.org>,\n\nsee you');
});

test('HTML bodies lose tags, comments, scripts and entities', (t) => {
  const html = '<html><head><style>p{x:1}</style></head><body><!-- c --><p>Buy&nbsp;now &amp; save &#36;5</p><script>evil()</script><a href="x">here</a></body></html>';
  t.is(emailBody(`Subject: s\n\n${html}`, { stripHtml: true }), 'Buy now & save $5\nhere');
  t.is(stripHtml('a < b and c > d'), 'a < b and c > d');
});

test('MIME scaffolding lines are dropped, a signature dash line kept', (t) => {
  const m = 'Content-Type: multipart/alternative;\n\tboundary="XX"\n\n--XX\nContent-Type: text/plain;\n\tcharset="us-ascii"\n\nhi there\n-- \nsig\n--XX--\n';
  t.is(emailBody(m), 'hi there\n--\nsig');
});

test('header blocks of forwarded or quoted mails at the top of the body are dropped too', (t) => {
  const fwd = 'Subject: fwd\n\nReturn-Path: <x@y>\nReceived: from a\n  by b; Fri, 26 Apr 2002\nFrom: "W" <x@y>\n\nMake money fast';
  t.is(emailBody(fwd), 'Make money fast');
  const quoted = 'Subject: re\n\n    Date:        Wed, 21 Aug 2002\n    From:        Chris <c@d>\n\n\n  | I cannot reproduce this.\n\nFor me it is repeatable.';
  t.is(emailBody(quoted), '| I cannot reproduce this.\n\nFor me it is repeatable.');
  t.is(leadingHeaderBlockEnd('Note: this is prose\n\nmore'), -1);
  t.is(leadingHeaderBlockEnd('From: a\nnot a header\n\nx'), -1);
  t.is(leadingHeaderBlockEnd('no blank line'), -1);
});
