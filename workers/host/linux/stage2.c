/*
 * jetpack-stage2: the few steps of a Linux pod that must be system calls in one process, with no
 * runtime between them and the app (like the original Jetpack's stage2 on FreeBSD).
 *
 *   jetpack-stage2 init
 *       PID 1 of the pod's pid namespace: reaps every process; SIGTERM is forwarded to every other
 *       process of the namespace, SIGUSR2 becomes SIGKILL for all of them. It never exits on its own:
 *       the supervisor SIGKILLs it, which ends the namespace.
 *   jetpack-stage2 pivot DIR
 *       Makes DIR the root of the calling mount namespace and detaches the old root, so that the pod's
 *       namespace keeps no copy of host mounts (a copy keeps host ZFS datasets busy).
 *   jetpack-stage2 exec --root DIR --cwd DIR --uid N --gid N [--groups a,b] [--status-fd N] -- ARGV...
 *       chroot, chdir, drop to the user, execve. Exit 125: the sandbox is wrong (no working directory);
 *       126/127: the program cannot run. With --status-fd, a line "ok" or "error: MESSAGE" is written
 *       to that descriptor just before execve, so the supervisor knows whether the app started.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int status_fd = -1;

static void report(const char *line) {
  if (status_fd < 0) return;
  size_t len = strlen(line);
  while (len > 0) {
    ssize_t n = write(status_fd, line, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    line += n;
    len -= (size_t)n;
  }
}

static void die(int code, const char *fmt, ...) {
  char msg[PATH_MAX + 256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "jetpack: %s\n", msg);
  char line[sizeof msg + 16];
  snprintf(line, sizeof line, "error: %s\n", msg);
  report(line);
  exit(code);
}

static void usage(void) {
  fprintf(stderr,
          "usage: jetpack-stage2 init\n"
          "       jetpack-stage2 pivot DIR\n"
          "       jetpack-stage2 exec --root DIR --cwd DIR --uid N --gid N [--groups a,b] [--status-fd N] -- ARGV...\n");
  exit(2);
}

/* kill() is async-signal-safe: forwarding from the handler leaves no window for a lost signal. */
static void on_signal(int sig) { kill(-1, sig == SIGUSR2 ? SIGKILL : SIGTERM); }

static void on_child(int sig) { (void)sig; }

static int run_init(void) {
  /* At the pivot, pivot_root moves only the processes whose cwd is the old root: a cwd anywhere else
     would keep the detached host mount it lies in alive, and busy. */
  if (chdir("/") != 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  /* SIGCHLD is ignored by default and would never wake sigsuspend: give it a handler that does nothing. */
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, NULL);
  /* Signals we do not forward are ignored: PID 1 must not die of a stray SIGINT or SIGHUP. */
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  /* SIGCHLD stays blocked except inside sigsuspend, so no child can exit between the reap and the sleep. */
  sigset_t block, wait_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, &wait_mask);
  sigdelset(&wait_mask, SIGCHLD);
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    sigsuspend(&wait_mask);
  }
  return 0;
}

static int run_pivot(const char *dir) {
  if (chdir(dir) != 0) die(1, "cannot enter %s: %s", dir, strerror(errno));
  if (syscall(SYS_pivot_root, ".", ".") != 0) die(1, "pivot_root %s: %s", dir, strerror(errno));
  if (umount2(".", MNT_DETACH) != 0) die(1, "detaching the old root: %s", strerror(errno));
  if (chdir("/") != 0) die(1, "chdir /: %s", strerror(errno));
  return 0;
}

static unsigned long parse_id(const char *what, const char *s) {
  char *end = NULL;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v > 0xfffffffeUL) die(2, "%s is not a number: %s", what, s);
  return v;
}

static int parse_groups(const char *list, gid_t *out, int max) {
  int n = 0;
  char *copy = strdup(list);
  if (copy == NULL) die(1, "out of memory");
  for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
    if (n == max) die(2, "too many groups");
    out[n++] = (gid_t)parse_id("group", tok);
  }
  free(copy);
  return n;
}

/* Where execv finds argv[0]: itself when it has a slash, else the first executable file on PATH (§1.4). */
static const char *find_program(const char *name, char *buf, size_t size) {
  if (strchr(name, '/') != NULL) return name;
  const char *path = getenv("PATH");
  if (path == NULL) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  const char *p = path;
  for (;;) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    snprintf(buf, size, "%.*s/%s", (int)len, len ? p : ".", name);
    struct stat st;
    if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0) return buf;
    if (colon == NULL) break;
    p = colon + 1;
  }
  errno = ENOENT;
  return NULL;
}

static int run_exec(int argc, char **argv) {
  const char *root = NULL, *cwd = "/", *groups = NULL;
  long uid = -1, gid = -1;
  int i = 0;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) { i++; break; }
    if (i + 1 >= argc) usage();
    if (strcmp(a, "--root") == 0) root = argv[++i];
    else if (strcmp(a, "--cwd") == 0) cwd = argv[++i];
    else if (strcmp(a, "--uid") == 0) uid = (long)parse_id("uid", argv[++i]);
    else if (strcmp(a, "--gid") == 0) gid = (long)parse_id("gid", argv[++i]);
    else if (strcmp(a, "--groups") == 0) groups = argv[++i];
    else if (strcmp(a, "--status-fd") == 0) status_fd = (int)parse_id("status fd", argv[++i]);
    else usage();
  }
  if (root == NULL || uid < 0 || gid < 0 || i >= argc) usage();
  char **app = argv + i;
  if (status_fd >= 0) fcntl(status_fd, F_SETFD, FD_CLOEXEC);

  if (chroot(root) != 0) die(125, "cannot enter the app's root filesystem %s: %s", root, strerror(errno));
  if (chdir("/") != 0) die(125, "chdir / in %s: %s", root, strerror(errno));
  if (chdir(cwd) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) die(125, "working directory %s does not exist in the app's root filesystem", cwd);
    die(125, "cannot enter working directory %s: %s", cwd, strerror(errno));
  }
  gid_t list[NGROUPS_MAX];
  int n = groups != NULL && groups[0] != '\0' ? parse_groups(groups, list, NGROUPS_MAX) : 0;
  if (setgroups((size_t)n, list) != 0) die(125, "setgroups: %s", strerror(errno));
  if (setgid((gid_t)gid) != 0) die(125, "setgid %ld: %s", gid, strerror(errno));
  if (setuid((uid_t)uid) != 0) die(125, "setuid %ld: %s", uid, strerror(errno));

  char found[PATH_MAX];
  const char *program = find_program(app[0], found, sizeof found);
  if (program == NULL || access(program, X_OK) != 0) {
    int err = errno;
    die(err == EACCES ? 126 : 127, "cannot run %s: %s", app[0], strerror(err));
  }
  report("ok\n");
  extern char **environ;
  execve(program, app, environ);
  int err = errno;
  /* "ok" is already sent: the supervisor learns of this failure from the exit code and the log. */
  fprintf(stderr, "jetpack: cannot run %s: %s\n", app[0], strerror(err));
  return err == EACCES ? 126 : 127;
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  if (strcmp(argv[1], "init") == 0 && argc == 2) return run_init();
  if (strcmp(argv[1], "pivot") == 0 && argc == 3) return run_pivot(argv[2]);
  if (strcmp(argv[1], "exec") == 0) return run_exec(argc - 2, argv + 2);
  usage();
  return 2;
}
