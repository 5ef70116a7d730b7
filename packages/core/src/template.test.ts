import { describe, it, expect } from 'vitest';
import { LogMessage } from './log-message.js';
import { ParseError, ErrorCode } from './errors.js';
import { compileTemplate, formatTemplate, LogTemplate, templateCacheSize } from './template.js';

/** 2026-11-25T15:00:00.123Z, written as 10:00:00.123 at -05:00. */
const NOV25 = Date.UTC(2026, 10, 25, 15, 0, 0, 123);

function message(pri = 13): LogMessage {
  return new LogMessage('hello').setPri(pri).setTimestamp(NOV25, -300).set('HOST', 'web1');
}

describe('template syntax', () => {
  it('expands ${NAME} and bare $NAME', () => {
    expect(formatTemplate('${HOST}: ${MESSAGE}', message())).toBe('web1: hello');
    expect(formatTemplate('$HOST $MESSAGE!', message())).toBe('web1 hello!');
  });

  it('ends a bare name at a dot, so $HOST.log is HOST followed by ".log"', () => {
    expect(formatTemplate('/var/log/$HOST.log', message())).toBe('/var/log/web1.log');
  });

  it('takes anything up to } as the name in the braced form', () => {
    const msg = message().set('SDATA.exampleSDID@32473.iut', '3').set('a-b c', 'x');
    expect(formatTemplate('${SDATA.exampleSDID@32473.iut}|${a-b c}', msg)).toBe('3|x');
  });

  it('turns $$ into $ and keeps a $ that starts no name', () => {
    expect(formatTemplate('cost: $$5 $$HOST', message())).toBe('cost: $5 $HOST');
    expect(formatTemplate('a $ b $', message())).toBe('a $ b $');
    expect(formatTemplate('$(echo) $-', message())).toBe('$(echo) $-');
  });

  it('expands unset names to the empty string', () => {
    expect(formatTemplate('[${NOPE}][$NOPE2]', message())).toBe('[][]');
  });

  it('never reads Object.prototype members as names', () => {
    expect(
      formatTemplate('[${constructor}][${__proto__}][$toString][${hasOwnProperty}]', message()),
    ).toBe('[][][][]');
  });

  it('returns literal-only templates unchanged', () => {
    expect(formatTemplate('', message())).toBe('');
    expect(formatTemplate('no macros here', message())).toBe('no macros here');
  });

  it('throws a ParseError naming the template and position for an unterminated ${', () => {
    const attempt = (): unknown => compileTemplate('abc ${HOST');
    expect(attempt).toThrow(ParseError);
    try {
      attempt();
    } catch (err) {
      expect((err as ParseError).code).toBe(ErrorCode.PARSE);
      expect((err as Error).message).toContain('position 4');
      expect((err as Error).message).toContain('"abc ${HOST"');
    }
    expect(() => new LogTemplate('x ${')).toThrow(/position 2/);
    expect(() => formatTemplate('${}', message())).toThrow(ParseError);
  });
});

describe('macros', () => {
  it('formats STAMP in its own negative offset', () => {
    const msg = message();
    expect(msg.format('${ISODATE}')).toBe('2026-11-25T10:00:00.123-05:00');
    expect(msg.format('${STAMP}')).toBe('2026-11-25T10:00:00.123-05:00');
    expect(msg.format('${DATE}')).toBe('Nov 25 10:00:00');
    expect(msg.format('$YEAR-$MONTH-$DAY $HOUR:$MIN:$SEC')).toBe('2026-11-25 10:00:00');
    expect(msg.format('${UNIXTIME}')).toBe('1795618800.123');
  });

  it('moves the date back across midnight and new year for a negative offset', () => {
    const msg = new LogMessage().setTimestamp(Date.UTC(2026, 0, 1, 2, 30, 5, 7), -300);
    expect(msg.format('${ISODATE}')).toBe('2025-12-31T21:30:05.007-05:00');
    expect(msg.format('$YEAR $MONTH $DAY $HOUR $MIN $SEC')).toBe('2025 12 31 21 30 05');
    expect(msg.format('${DATE}')).toBe('Dec 31 21:30:05');
  });

  it('handles half-hour offsets on both sides and UTC', () => {
    const t = Date.UTC(2026, 10, 25, 12, 0, 0, 0);
    expect(new LogMessage().setTimestamp(t, 330).format('${ISODATE}')).toBe(
      '2026-11-25T17:30:00.000+05:30',
    );
    expect(new LogMessage().setTimestamp(t, -210).format('${ISODATE}')).toBe(
      '2026-11-25T08:30:00.000-03:30',
    );
    expect(new LogMessage().setTimestamp(t, 0).format('${ISODATE}')).toBe(
      '2026-11-25T12:00:00.000+00:00',
    );
  });

  it('space-pads a single-digit day in DATE and zero-pads it in DAY', () => {
    const msg = new LogMessage().setTimestamp(Date.UTC(2026, 10, 5, 3, 4, 5), 0);
    expect(msg.format('${DATE}|${DAY}|${MONTH}|${HOUR}')).toBe('Nov  5 03:04:05|05|11|03');
  });

  it('uses the local offset when STAMP was set without one', () => {
    const t = Date.UTC(2026, 6, 1, 12, 0, 0, 250);
    const iso = new LogMessage().setTimestamp(t).format('${ISODATE}');
    expect(Date.parse(iso)).toBe(t);
    const local = -new Date(t).getTimezoneOffset();
    const sign = local < 0 ? '-' : '+';
    const abs = Math.abs(local);
    const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    expect(iso.endsWith(off)).toBe(true);
  });

  it('formats UNIXTIME before 1970 with the right sign', () => {
    const msg = new LogMessage().setTimestamp(-1500, 0);
    expect(msg.format('${UNIXTIME}')).toBe('-1.500');
    expect(msg.format('${ISODATE}')).toBe('1969-12-31T23:59:58.500+00:00');
    expect(new LogMessage().setTimestamp(0, 0).format('${UNIXTIME}')).toBe('0.000');
  });

  it('formats the receive time in R_ISODATE (local zone) and R_UNIXTIME', () => {
    const msg = new LogMessage();
    msg.setTimestamp(NOV25, -300);
    const r = msg.format('${R_ISODATE}');
    expect(r).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    expect(Date.parse(r)).toBe(msg.receivedAt);
    const [sec, ms] = msg.format('${R_UNIXTIME}').split('.');
    expect(Number(sec) * 1000 + Number(ms)).toBe(msg.receivedAt);
    expect(ms).toHaveLength(3);
  });

  // prettier-ignore
  const facilities = [
    'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
    'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron',
    'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
  ];
  const severities = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
  // Facility f with severity f % 8 walks every facility and every severity.
  it.each(facilities.map((name, f) => [f * 8 + (f % 8), name, severities[f % 8]!] as const))(
    'names pri %i as %s.%s',
    (pri, facility, severity) => {
      const msg = message(pri);
      expect(
        msg.format('$PRI $FACILITY $FACILITY_NUM $SEVERITY $SEVERITY_NUM $LEVEL $LEVEL_NUM'),
      ).toBe(`${pri} ${facility} ${pri >> 3} ${severity} ${pri & 7} ${severity} ${pri & 7}`);
    },
  );

  it('names the pri bounds and a default message', () => {
    expect(message(0).format('$FACILITY.$SEVERITY')).toBe('kern.emerg');
    expect(message(191).format('$FACILITY.$SEVERITY $FACILITY_NUM $LEVEL_NUM')).toBe(
      'local7.debug 23 7',
    );
    expect(new LogMessage().format('$PRI $FACILITY.$LEVEL')).toBe('13 user.notice');
  });

  it('reads MESSAGE through the MSG alias', () => {
    expect(message().format('${MSG}|$MSG')).toBe('hello|hello');
  });

  it('lets a field of the same name win over a macro', () => {
    const msg = message().set('ISODATE', 'custom').set('PRI', 'p').set('SEVERITY', 0);
    expect(msg.format('${ISODATE} $PRI $SEVERITY ${FACILITY}')).toBe('custom p 0 user');
  });
});

describe('field values', () => {
  it('stringifies typed values like getAsString', () => {
    const msg = new LogMessage()
      .set('n', 1.5)
      .set('b', 12345678901234567890n)
      .set('t', false)
      .set('z', null)
      .set('d', new Date(Date.UTC(2026, 0, 2)))
      .set('a', ['x', 'y'])
      .set('u', new TextEncoder().encode('bytes ✓'))
      .set('j', { k: [1, 'v'] });
    expect(msg.format('$n|$b|$t|$z|$d|$a|$u|$j')).toBe(
      '1.5|12345678901234567890|false||2026-01-02T00:00:00.000Z|x,y|bytes ✓|{"k":[1,"v"]}',
    );
  });

  it('formats an invalid Date field as empty instead of throwing', () => {
    expect(new LogMessage().set('d', new Date(NaN)).format('[$d]')).toBe('[]');
  });
});

describe('compiled templates and cache', () => {
  it('compiles once and formats many messages', () => {
    const fn = compileTemplate('${HOST} ${SEVERITY} ${MSG}');
    expect(fn(message(11))).toBe('web1 err hello');
    expect(fn(new LogMessage('other').set('HOST', 'db').setPri(14))).toBe('db info other');
  });

  it('LogTemplate keeps its source and formats', () => {
    const t = new LogTemplate('<$PRI>$HOST');
    expect(t.source).toBe('<$PRI>$HOST');
    expect(t.format(message(34))).toBe('<34>web1');
  });

  it('caches compiled templates and stays bounded', () => {
    const msg = message();
    formatTemplate('cache-probe $HOST', msg);
    const before = templateCacheSize();
    expect(formatTemplate('cache-probe $HOST', msg)).toBe('cache-probe web1');
    expect(templateCacheSize()).toBe(before);
    for (let i = 0; i < 2500; i++) expect(formatTemplate(`${i} $HOST`, msg)).toBe(`${i} web1`);
    expect(templateCacheSize()).toBeLessThanOrEqual(1000);
    expect(templateCacheSize()).toBeGreaterThan(0);
  });

  it('does not cache a template that fails to compile', () => {
    const size = templateCacheSize();
    expect(() => formatTemplate('bad ${', message())).toThrow(ParseError);
    expect(() => formatTemplate('bad ${', message())).toThrow(ParseError);
    expect(templateCacheSize()).toBe(size);
  });
});
