# SPDX-License-Identifier: GPL-2.0-or-later
# timing.py - the measuring loop of bench/enqueue (run with /usr/bin/python3).
#
#   timing.py run [--user UID:GID] [--env K=V]... RUNS INPUT -- CMD [ARGS...]
#       spawn CMD RUNS times, stdin from INPUT, stdout on /dev/null, and
#       print one line per run from wait4(2): "wall_us cpu_us maxrss_kb
#       exit".  cpu = user + system of the command and of every child it
#       waited for (so the front end's figure includes postern-drop's);
#       maxrss = the peak RSS of the biggest single process among them.
#       With --user (as root) it drops to that uid/gid and no
#       supplementary groups first, so every run is the unprivileged path.
#       posix_spawn keeps the harness's own cost small and the same for
#       every command measured.  The environment is PATH=/usr/bin:/bin
#       plus each --env.  (ru_maxrss includes the harness's own image from
#       before exec: bench/hwm.c measures peak RSS properly.)
#   timing.py summary FILE
#       from such lines: "wall_med wall_p90 cpu_med cpu_p90 maxrss fails"
import os
import sys
import time


def pct(values, p):
    """the p-th percentile (nearest rank) of a non-empty list"""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def run(argv):
    user = None
    env = {"PATH": "/usr/bin:/bin"}
    while len(argv) > 1 and argv[0] in ("--user", "--env"):
        if argv[0] == "--user":
            uid, gid = (int(x) for x in argv[1].split(":"))
            user = (uid, gid)
        else:
            k, v = argv[1].split("=", 1)
            env[k] = v
        argv = argv[2:]
    if len(argv) < 4 or argv[2] != "--":
        return usage()
    runs, path, cmd = int(argv[0]), argv[1], argv[3:]
    if user is not None:
        os.setgroups([])
        os.setgid(user[1])
        os.setuid(user[0])
    null = os.open("/dev/null", os.O_WRONLY)
    out = []
    for _ in range(runs):
        fd = os.open(path, os.O_RDONLY)
        actions = [(os.POSIX_SPAWN_DUP2, fd, 0),
                   (os.POSIX_SPAWN_DUP2, null, 1)]
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(cmd[0], cmd, env, file_actions=actions)
        _, status, ru = os.wait4(pid, 0)
        t1 = time.perf_counter_ns()
        os.close(fd)
        out.append("%.0f %.0f %d %d" % (
            (t1 - t0) / 1000.0, (ru.ru_utime + ru.ru_stime) * 1e6,
            ru.ru_maxrss, os.waitstatus_to_exitcode(status)))
    print("\n".join(out))
    return 0


def summary(argv):
    if len(argv) != 1:
        return usage()
    walls, cpus, rss, fails = [], [], 0, 0
    with open(argv[0]) as f:
        for line in f:
            w, c, m, e = line.split()
            walls.append(float(w))
            cpus.append(float(c))
            rss = max(rss, int(m))
            fails += int(e) != 0
    if not walls:
        sys.stderr.write("timing.py: no runs in %s\n" % argv[0])
        return 1
    print("%.0f %.0f %.0f %.0f %d %d" % (
        pct(walls, 50), pct(walls, 90), pct(cpus, 50), pct(cpus, 90),
        rss, fails))
    return 0


def usage():
    sys.stderr.write("usage: timing.py run [--user UID:GID] [--env K=V]... RUNS INPUT -- "
                     "CMD [ARGS...]\n       timing.py summary FILE\n")
    return 64


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "run":
        sys.exit(run(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "summary":
        sys.exit(summary(sys.argv[2:]))
    sys.exit(usage())
