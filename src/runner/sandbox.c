/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What Linux offers a process that holds plaintext outside hardware protection: no core dumps,
 * not dumpable (no ptrace, no /proc/PID/mem by other users), no new privileges, all memory locked
 * (never swapped), and a seccomp allowlist of the system calls the runner needs. This is not a
 * TEE: the kernel and root still see everything (docs/runner.md says so).
 */
#include "sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#if defined(__SANITIZE_ADDRESS__)
#define RUNNER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define RUNNER_SANITIZED 1
#endif
#endif
#ifndef RUNNER_SANITIZED
#define RUNNER_SANITIZED 0
#endif

/* Everything glibc, libcurl, OpenSSL, SQLite (in memory), OpenBLAS and our own code call. No
 * execve, no ptrace, no mount/namespace/module/bpf/keyring calls; listening sockets only for
 * clave-runner fl (the attested FL aggregator).
 * OpenBLAS places its buffers with mbind/get_mempolicy. */
/* clang-format off */
static const char *const ALLOWED[] = {
    "read", "write", "readv", "writev", "pread64", "pwrite64", "openat", "close", "fstat",
    "newfstatat", "statx", "lseek", "mmap", "munmap", "mprotect", "mremap", "brk", "madvise",
    "mlock", "munlock", "mlockall", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
    "sigaltstack", "poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl",
    "epoll_wait", "epoll_pwait", "socket", "connect", "getsockopt", "setsockopt", "getsockname",
    "getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "shutdown",
    "socketpair", "pipe2", "eventfd2", "fcntl", "dup", "dup3", "getpid", "gettid", "getppid",
    "getuid", "geteuid", "getgid", "getegid", "clock_gettime", "clock_getres", "clock_nanosleep",
    "nanosleep", "gettimeofday", "time", "futex", "set_robust_list", "get_robust_list", "rseq",
    "set_tid_address", "clone", "clone3", "exit", "exit_group", "sched_getaffinity", "sched_yield",
    "getrandom", "uname", "prlimit64", "getrlimit", "access", "faccessat", "faccessat2", "getcwd",
    "readlink", "readlinkat", "sysinfo", "getdents64", "fsync", "fdatasync", "ftruncate",
    "mkdirat", "renameat", "renameat2", "unlinkat", "fadvise64", "membarrier", "tgkill",
    "restart_syscall", "ioctl", "umask", "fchmod", "sched_setaffinity", "getpriority",
    "setpriority", "mincore", "timerfd_create", "timerfd_settime", "mbind", "get_mempolicy",
    "set_mempolicy",
    /* clave-runner fl serves its clients: one listening socket */
    "bind", "listen", "accept", "accept4",
    /* x86-64 also has the pre-*at forms; glibc still calls some of them */
    "mkdir", "rename", "unlink", "open", "stat", "lstat", "pipe", "dup2", "getdents",
};
/* clang-format on */

/* LeakSanitizer stops the world with ptrace from a helper thread at exit; ASan reads its own
 * maps. Sanitizer builds (tests only) get these too. */
static const char *const SANITIZER_EXTRA[] = {
    "ptrace", "wait4", "prctl", "personality", "sched_getparam", "sched_getscheduler"};

static clave_status allow(scmp_filter_ctx f, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        if (nr == __NR_SCMP_ERROR) {
            continue; /* not on this architecture */
        }
        if (seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0) != 0) {
            fprintf(stderr, "clave-runner: seccomp: cannot allow %s\n", names[i]);
            return CLAVE_ERR_INTERNAL;
        }
    }
    return CLAVE_OK;
}

static clave_status install_seccomp(void)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
    clave_status st = f != NULL ? CLAVE_OK : CLAVE_ERR_NOMEM;
    if (st == CLAVE_OK) {
        st = allow(f, ALLOWED, sizeof(ALLOWED) / sizeof(ALLOWED[0]));
    }
    if (st == CLAVE_OK && RUNNER_SANITIZED) {
        st = allow(f, SANITIZER_EXTRA, sizeof(SANITIZER_EXTRA) / sizeof(SANITIZER_EXTRA[0]));
    }
    if (st == CLAVE_OK && seccomp_load(f) != 0) {
        fprintf(stderr, "clave-runner: seccomp: the filter could not be loaded\n");
        st = CLAVE_ERR_INTERNAL;
    }
    seccomp_release(f);
    return st;
}

static clave_status lock_memory(void)
{
    if (RUNNER_SANITIZED) {
        return CLAVE_OK; /* ASan reserves terabytes of shadow memory: locking it cannot work */
    }
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
        struct rlimit r = {0, 0};
        int e = errno;
        (void)getrlimit(RLIMIT_MEMLOCK, &r);
        fprintf(stderr,
                "clave-runner: cannot lock memory (%s; RLIMIT_MEMLOCK %llu bytes): run with "
                "CAP_IPC_LOCK or `ulimit -l unlimited`, or pass --no-mlock (plaintext may then "
                "reach swap)\n",
                strerror(e), (unsigned long long)r.rlim_cur);
        return CLAVE_ERR_IO;
    }
    return CLAVE_OK;
}

clave_status runner_sandbox_enter(const struct runner_sandbox *s, struct runner_sandbox_state *out)
{
    struct rlimit none = {0, 0};
    memset(out, 0, sizeof(*out));
    if (setrlimit(RLIMIT_CORE, &none) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "clave-runner: cannot disable core dumps / set no_new_privs: %s\n",
                strerror(errno));
        return CLAVE_ERR_IO;
    }
    out->no_core_dumps = true;
    out->no_new_privs = true;
    if (s->mlock) {
        clave_status st = lock_memory();
        if (st != CLAVE_OK) {
            return st;
        }
        out->memory_locked = !RUNNER_SANITIZED;
    }
    if (s->seccomp) {
        clave_status st = install_seccomp();
        if (st != CLAVE_OK) {
            return st;
        }
        out->seccomp = true;
    }
    return CLAVE_OK;
}
