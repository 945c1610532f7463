/* Go >= 1.22 on Windows calls ProcessPrng from bcryptprimitives.dll at
 * start-up; Wine 8 (Debian 12) lacks it. This stand-in exports it on top of
 * advapi32's RtlGenRandom (SystemFunction036), which Wine has. Test use
 * only: .ci/wine/setup builds it into the test's own Wine prefix. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
