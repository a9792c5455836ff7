import { describe, expect, it } from 'vitest';
import { canonicalAddress, parseLsof, parseNetstat, parseProcNetTcp, ProbeFailed } from './listening-sockets';

// Captured on Linux 6.18 (x86_64) with listeners on 127.0.0.1:47533 (0xB9AD), [::1]:47533,
// [::]:47534 (0xB9AE) and [::ffff:127.0.0.1]:47540 (0xB9B4), plus a closing connection; the uid of
// the [::1] row is changed from 0 to 1000 to tell the columns apart.
const PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1127 1 0000000063743d30 100 0 0 10 0
   1: 0100007F:B9AD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 35196 1 0000000097a1483f 100 0 0 10 0
   2: 0100007F:96E5 0100007F:D212 06 00000000:00000000 03:00000EA0 00000000     0        0 0 3 00000000e72a274b
`;
const PROC_NET_TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:B9AE 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 35195 1 00000000f1c77f24 100 0 0 10 0
   1: 00000000000000000000000001000000:B9AD 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 35197 1 00000000b028fd1f 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:B9B4 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 52314 1 00000000f162f4e1 100 0 0 10 0
`;

// `lsof -nP -a -iTCP:47533 -sTCP:LISTEN -Fpun`, lsof 4.95 on Linux: one process on 127.0.0.1 and [::1].
const LSOF_495 = 'p10957\nu0\nn127.0.0.1:47533\nn[::1]:47533\n';
// lsof 4.88 to 4.93.2 (macOS ships 4.91) also print the fd (`f`) of each file (lsof(8), "OUTPUT FOR
// OTHER PROGRAMS"); two processes: a wildcard listener of uid 502 and the daemon of uid 501.
const LSOF_491 = 'p812\nu502\nf7\nn*:7533\np1234\nu501\nf9\nn127.0.0.1:7533\n';

// `netstat -ano` rows as Windows prints them (Windows Server 2008 R2 capture in a public HackTheBox
// "Bastard" write-up; `netstat -anop tcp` on pastebin.com/JUQvGTPp has the same columns), with
// rows for port 7533 in the same layout, one in German ("ABHÖREN": the state column is translated).
const NETSTAT = `
Active Connections

  Proto  Local Address          Foreign Address        State           PID
  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       672
  TCP    0.0.0.0:3306           0.0.0.0:0              LISTENING       1060
  TCP    127.0.0.1:3306         127.0.0.1:58566        ESTABLISHED     1060
  TCP    127.0.0.1:58600        127.0.0.1:3306         TIME_WAIT       0
  TCP    127.0.0.1:7533         0.0.0.0:0              LISTENING       4242
  TCP    127.0.0.1:51000        127.0.0.1:7533         ESTABLISHED     9000
  TCP    [::]:135               [::]:0                 LISTENING       672
  TCP    [::1]:7533             [::]:0                 ABHÖREN         5151
  UDP    0.0.0.0:123            *:*                                    848
  UDP    [::]:123               *:*                                    848
`.replace(/\n/g, '\r\n');

describe('reading who listens on a port', () => {
  it('reads /proc/net/tcp and tcp6 listening rows, their owner uid and socket inode, in host byte order', () => {
    expect(parseProcNetTcp(PROC_NET_TCP, 47533, true)).toEqual([{ address: '127.0.0.1', uid: 0, inode: 35196 }]);
    expect(parseProcNetTcp(PROC_NET_TCP6, 47533, true)).toEqual([{ address: '::1', uid: 1000, inode: 35197 }]);
    expect(parseProcNetTcp(PROC_NET_TCP6, 47534, true)).toEqual([{ address: '::', uid: 0, inode: 35195 }]);
    expect(parseProcNetTcp(PROC_NET_TCP6, 47540, true)).toEqual([{ address: '::ffff:127.0.0.1', uid: 0, inode: 52314 }]);
    // The same words printed by a big-endian kernel.
    expect(parseProcNetTcp(PROC_NET_TCP.replace('0100007F:B9AD 00000000', '7F000001:B9AD 00000000'), 47533, false)).toEqual([
      { address: '127.0.0.1', uid: 0, inode: 35196 },
    ]);
  });

  it('refuses a /proc line it cannot read instead of skipping a listener', () => {
    expect(() => parseProcNetTcp(PROC_NET_TCP.replace('35196', 'x'), 47533, true)).toThrow(ProbeFailed);
  });

  it('reads lsof field output, with or without fd lines, pid and uid per process', () => {
    expect(parseLsof(LSOF_495, 47533)).toEqual([
      { address: '127.0.0.1', pid: 10957, uid: 0 },
      { address: '::1', pid: 10957, uid: 0 },
    ]);
    expect(parseLsof(LSOF_491, 7533)).toEqual([
      { address: '*', pid: 812, uid: 502 },
      { address: '127.0.0.1', pid: 1234, uid: 501 },
    ]);
    expect(parseLsof('', 7533)).toEqual([]);
    expect(() => parseLsof('u501\nn127.0.0.1:7533\n', 7533)).toThrow(ProbeFailed);
  });

  it('reads netstat listening rows by their foreign address, whatever language the state is in', () => {
    expect(parseNetstat(NETSTAT, 7533)).toEqual([
      { address: '127.0.0.1', pid: 4242 },
      { address: '::1', pid: 5151 },
    ]);
    expect(parseNetstat(NETSTAT, 135)).toEqual([
      { address: '0.0.0.0', pid: 672 },
      { address: '::', pid: 672 },
    ]);
    expect(() => parseNetstat('  TCP    127.0.0.1:7533         0.0.0.0:0              LISTENING\r\n', 7533)).toThrow(ProbeFailed);
  });

  it('writes every form of an address one way', () => {
    expect(canonicalAddress('[::1]')).toBe('::1');
    expect(canonicalAddress('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalAddress('::ffff:7f00:1')).toBe('::ffff:127.0.0.1');
    expect(canonicalAddress('[fe80::1%4]')).toBe('fe80:0:0:0:0:0:0:1');
    expect(canonicalAddress('*')).toBe('*');
    expect(canonicalAddress('localhost')).toBeUndefined();
  });
});
