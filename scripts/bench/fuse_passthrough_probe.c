// fuse_passthrough_probe BACKING_FILE MOUNTPOINT: serves one file, MOUNTPOINT/file, through
// kernel FUSE passthrough (Linux 6.9+, CONFIG_FUSE_PASSTHROUGH): reads go from the kernel
// straight to BACKING_FILE and never reach this process. Measures what passthrough would
// give the mount's reads (docs/benchmarks.md, "FUSE reads, round 6"; issue 20 asked for the
// figure). Needs root: registering a backing file takes CAP_SYS_ADMIN, and libfuse 3.14 has
// no API for passthrough, so this speaks the FUSE protocol itself (a measurement tool, not
// a server for anything else). Prints "ready" once mounted; SIGTERM/SIGINT unmount and end.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

// Newer than this system's <linux/fuse.h> (7.38): protocol 7.40's passthrough.
#define PROBE_INIT_EXT (1u << 30)
#define PROBE_PASSTHROUGH_FLAGS2 (1u << (37 - 32))
#define PROBE_FOPEN_PASSTHROUGH (1u << 7)
struct probe_backing_map {
  int32_t fd;
  uint32_t flags;
  uint64_t padding;
};
#define PROBE_DEV_IOC_BACKING_OPEN _IOW(229, 1, struct probe_backing_map)
struct probe_init_out {  // fuse_init_out as of 7.40
  uint32_t major, minor, max_readahead, flags;
  uint16_t max_background, congestion_threshold;
  uint32_t max_write, time_gran;
  uint16_t max_pages, map_alignment;
  uint32_t flags2, max_stack_depth;
  uint16_t request_timeout;
  uint16_t unused[11];
};

enum { kFileIno = 2 };
static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig, stop = 1; }

static int dev = -1, backing = -1, backing_id = -1;
static struct stat st;

static void reply(uint64_t unique, int error, const void* body, size_t n) {
  struct fuse_out_header h = {(uint32_t)(sizeof h + n), error, unique};
  struct iovec iov[2] = {{&h, sizeof h}, {(void*)body, n}};
  if (writev(dev, iov, body ? 2 : 1) < 0 && errno != ENOENT)
    perror("fuse_passthrough_probe: reply");
}

static void fill_attr(struct fuse_attr* a, uint64_t ino) {
  memset(a, 0, sizeof *a);
  a->ino = ino;
  if (ino == FUSE_ROOT_ID) {
    a->mode = S_IFDIR | 0755;
    a->nlink = 2;
  } else {
    fstat(backing, &st);
    a->mode = S_IFREG | 0444;
    a->nlink = 1;
    a->size = (uint64_t)st.st_size;
    a->blocks = (uint64_t)st.st_blocks;
    a->blksize = (uint32_t)st.st_blksize;
    a->mtime = (uint64_t)st.st_mtim.tv_sec;
    a->mtimensec = (uint32_t)st.st_mtim.tv_nsec;
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s BACKING_FILE MOUNTPOINT\n", argv[0]);
    return 2;
  }
  backing = open(argv[1], O_RDONLY | O_CLOEXEC);
  dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (backing < 0 || dev < 0) {
    perror("fuse_passthrough_probe: open");
    return 1;
  }
  char opts[128];
  snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0", dev);
  if (mount("probe", argv[2], "fuse.probe", MS_NOSUID | MS_NODEV | MS_RDONLY, opts) != 0) {
    perror("fuse_passthrough_probe: mount (root only)");
    return 1;
  }
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;  // no SA_RESTART: the blocked read returns EINTR
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  static char buf[(1 << 20) + 4096];
  int ok = 1;
  while (!stop) {
    ssize_t n = read(dev, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      if (errno != ENODEV) perror("fuse_passthrough_probe: read");
      break;
    }
    const struct fuse_in_header* in = (const void*)buf;
    const void* arg = buf + sizeof *in;
    switch (in->opcode) {
      case FUSE_INIT: {
        const struct fuse_init_in* i = arg;
        struct probe_init_out o = {0};
        o.major = FUSE_KERNEL_VERSION;
        o.minor = i->minor < 40 ? i->minor : 40;
        o.max_readahead = i->max_readahead;
        o.flags =
            (i->flags & (FUSE_ASYNC_READ | FUSE_MAX_PAGES | FUSE_BIG_WRITES)) | PROBE_INIT_EXT;
        o.flags2 = (i->flags & PROBE_INIT_EXT) ? (i->flags2 & PROBE_PASSTHROUGH_FLAGS2) : 0;
        o.max_stack_depth = 1;
        o.max_background = 12;
        o.congestion_threshold = 9;
        o.max_write = 1 << 20;
        o.max_pages = 256;
        o.time_gran = 1;
        if (!(o.flags2 & PROBE_PASSTHROUGH_FLAGS2)) {
          fprintf(stderr, "fuse_passthrough_probe: this kernel does not offer passthrough\n");
          ok = 0;
        }
        reply(in->unique, 0, &o, sizeof o);
        struct probe_backing_map map = {backing, 0, 0};
        backing_id = ioctl(dev, PROBE_DEV_IOC_BACKING_OPEN, &map);
        if (backing_id < 0) {
          perror("fuse_passthrough_probe: FUSE_DEV_IOC_BACKING_OPEN");
          ok = 0;
        }
        if (!ok)
          stop = 1;
        else {
          printf("ready\n");
          fflush(stdout);
        }
        break;
      }
      case FUSE_LOOKUP: {
        if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "file") != 0) {
          reply(in->unique, -ENOENT, NULL, 0);
          break;
        }
        struct fuse_entry_out e = {0};
        e.nodeid = kFileIno;
        e.entry_valid = e.attr_valid = 1;
        fill_attr(&e.attr, kFileIno);
        reply(in->unique, 0, &e, sizeof e);
        break;
      }
      case FUSE_GETATTR: {
        struct fuse_attr_out a = {0};
        a.attr_valid = 1;
        fill_attr(&a.attr, in->nodeid);
        reply(in->unique, 0, &a, sizeof a);
        break;
      }
      case FUSE_OPEN: {
        struct fuse_open_out o = {0};
        o.open_flags = PROBE_FOPEN_PASSTHROUGH;
        o.padding = (uint32_t)backing_id;  // backing_id since 7.40
        reply(in->unique, 0, &o, sizeof o);
        break;
      }
      case FUSE_READ: {  // only if the kernel did not pass the open through
        const struct fuse_read_in* r = arg;
        static char data[1 << 20];
        uint32_t want = r->size < sizeof data ? r->size : sizeof data;
        ssize_t got = pread(backing, data, want, (off_t)r->offset);
        if (got < 0)
          reply(in->unique, -errno, NULL, 0);
        else
          reply(in->unique, 0, data, (size_t)got);
        break;
      }
      case FUSE_OPENDIR:
      case FUSE_RELEASE:
      case FUSE_RELEASEDIR:
      case FUSE_FLUSH:
        if (in->opcode == FUSE_OPENDIR) {
          struct fuse_open_out o = {0};
          reply(in->unique, 0, &o, sizeof o);
        } else {
          reply(in->unique, 0, NULL, 0);
        }
        break;
      case FUSE_FORGET:
      case FUSE_BATCH_FORGET:
        break;  // no reply
      case FUSE_DESTROY:
        reply(in->unique, 0, NULL, 0);
        stop = 1;
        break;
      default:
        reply(in->unique, -ENOSYS, NULL, 0);
    }
  }
  umount2(argv[2], MNT_DETACH);
  return ok ? 0 : 1;
}
