/*
 * A Kafka-protocol test broker: librdkafka's mock cluster, listening on real
 * loopback TCP ports, driven over a line-based control socket.
 *
 *   kafka-mock <brokers>
 *
 * Prints "ready <bootstrap.servers> <control-port>" on stdout, then serves
 * commands on the control port (127.0.0.1), one per line, each answered with
 * "ok [...]" or "err <reason>":
 *
 *   topic <name> <partitions> <replication>
 *   broker_down <id|-1>            broker_up <id|-1>
 *   leader <topic> <partition> <broker>
 *   coordinator <group|transaction> <key> <broker>
 *   errors <apikey> <err> [<err>...]   (push request errors; -195 = transport)
 *   rtt <broker|-1> <ms>
 *   bootstraps
 *
 * It exits when stdin reaches EOF, so it never outlives the process that
 * started it.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 16
#define LINE_MAX_LEN 4096

static rd_kafka_mock_cluster_t *mc;

static void reply_err(int fd, rd_kafka_resp_err_t err) {
  char buf[512];
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
    snprintf(buf, sizeof buf, "ok\n");
  else
    snprintf(buf, sizeof buf, "err %s\n", rd_kafka_err2str(err));
  (void)!write(fd, buf, strlen(buf));
}

static void reply(int fd, const char *s) { (void)!write(fd, s, strlen(s)); }

static void handle(int fd, char *line) {
  char *argv[64];
  int argc = 0;
  for (char *tok = strtok(line, " \t\r"); tok && argc < 64; tok = strtok(NULL, " \t\r"))
    argv[argc++] = tok;
  if (argc == 0) return reply(fd, "err empty command\n");
  const char *cmd = argv[0];
  if (!strcmp(cmd, "topic") && argc == 4) {
    reply_err(fd, rd_kafka_mock_topic_create(mc, argv[1], atoi(argv[2]), atoi(argv[3])));
  } else if (!strcmp(cmd, "broker_down") && argc == 2) {
    reply_err(fd, rd_kafka_mock_broker_set_down(mc, atoi(argv[1])));
  } else if (!strcmp(cmd, "broker_up") && argc == 2) {
    reply_err(fd, rd_kafka_mock_broker_set_up(mc, atoi(argv[1])));
  } else if (!strcmp(cmd, "leader") && argc == 4) {
    reply_err(fd, rd_kafka_mock_partition_set_leader(mc, argv[1], atoi(argv[2]), atoi(argv[3])));
  } else if (!strcmp(cmd, "coordinator") && argc == 4) {
    reply_err(fd, rd_kafka_mock_coordinator_set(mc, argv[1], argv[2], atoi(argv[3])));
  } else if (!strcmp(cmd, "rtt") && argc == 3) {
    reply_err(fd, rd_kafka_mock_broker_set_rtt(mc, atoi(argv[1]), atoi(argv[2])));
  } else if (!strcmp(cmd, "errors") && argc >= 3) {
    rd_kafka_resp_err_t errs[62];
    size_t n = 0;
    for (int i = 2; i < argc && n < 62; i++) errs[n++] = (rd_kafka_resp_err_t)atoi(argv[i]);
    rd_kafka_mock_push_request_errors_array(mc, (int16_t)atoi(argv[1]), n, errs);
    reply(fd, "ok\n");
  } else if (!strcmp(cmd, "bootstraps") && argc == 1) {
    char buf[1024];
    snprintf(buf, sizeof buf, "ok %s\n", rd_kafka_mock_cluster_bootstraps(mc));
    reply(fd, buf);
  } else {
    reply(fd, "err unknown command or wrong argument count\n");
  }
}

int main(int argc, char **argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 3;
  char errstr[512];
  signal(SIGPIPE, SIG_IGN);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "kafka-mock: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "kafka-mock: cannot create the mock cluster\n");
    return 1;
  }
  /* kafkajs' LeaveGroup fails against newer mock versions: cap it at v1. */
  rd_kafka_mock_set_apiversion(mc, 13, 0, 1);

  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof addr;
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) || listen(lfd, 8) ||
      getsockname(lfd, (struct sockaddr *)&addr, &alen)) {
    perror("kafka-mock: control socket");
    return 1;
  }
  printf("ready %s %d\n", rd_kafka_mock_cluster_bootstraps(mc), ntohs(addr.sin_port));
  fflush(stdout);

  struct pollfd fds[2 + MAX_CLIENTS];
  char bufs[MAX_CLIENTS][LINE_MAX_LEN];
  size_t lens[MAX_CLIENTS];
  int nclients = 0;
  for (;;) {
    fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = lfd, .events = POLLIN};
    for (int i = 0; i < nclients; i++) fds[2 + i].events = POLLIN;
    if (poll(fds, 2 + nclients, -1) < 0) continue;
    if (fds[0].revents) {
      char b[256];
      if (read(0, b, sizeof b) <= 0) break; /* the parent is gone */
    }
    if ((fds[1].revents & POLLIN) && nclients < MAX_CLIENTS) {
      int cfd = accept(lfd, NULL, NULL);
      if (cfd >= 0) {
        fds[2 + nclients] = (struct pollfd){.fd = cfd, .events = POLLIN, .revents = 0};
        lens[nclients] = 0;
        nclients++;
      }
    }
    for (int i = 0; i < nclients; i++) {
      if (!fds[2 + i].revents) continue;
      ssize_t n = read(fds[2 + i].fd, bufs[i] + lens[i], LINE_MAX_LEN - 1 - lens[i]);
      if (n <= 0) {
        close(fds[2 + i].fd);
        fds[2 + i] = fds[2 + nclients - 1];
        memcpy(bufs[i], bufs[nclients - 1], lens[nclients - 1]);
        lens[i] = lens[nclients - 1];
        nclients--;
        i--;
        continue;
      }
      lens[i] += (size_t)n;
      char *nl;
      while ((nl = memchr(bufs[i], '\n', lens[i])) != NULL) {
        *nl = '\0';
        handle(fds[2 + i].fd, bufs[i]);
        size_t used = (size_t)(nl - bufs[i]) + 1;
        memmove(bufs[i], nl + 1, lens[i] - used);
        lens[i] -= used;
      }
      if (lens[i] == LINE_MAX_LEN - 1) lens[i] = 0; /* overlong line: discard */
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
