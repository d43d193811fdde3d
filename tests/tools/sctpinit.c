/*
 * sctpinit: send one SCTP INIT chunk from a raw socket, enough for
 * conntrack to create an SCTP entry, on machines whose kernel has no SCTP
 * sockets but whose conntrack tracks SCTP.
 *
 *   sctpinit ADDR SPORT DPORT
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* CRC32c (Castagnoli), as SCTP's checksum (RFC 9260, appendix A). */
static uint32_t
crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78u : 0);
	}
	return crc ^ 0xffffffffu;
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t pkt[32];
	uint32_t crc;
	int s, fam;

	if (argc != 4) {
		fprintf(stderr, "usage: sctpinit ADDR SPORT DPORT\n");
		return 2;
	}
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[1],
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		fam = AF_INET;
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[1],
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		fam = AF_INET6;
		sl = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "sctpinit: bad address %s\n", argv[1]);
		return 2;
	}
	ss.ss_family = (sa_family_t)fam;
	memset(pkt, 0, sizeof(pkt));
	/* Common header: ports, verification tag 0 (INIT), checksum. */
	put16(pkt, (unsigned)atoi(argv[2]));
	put16(pkt + 2, (unsigned)atoi(argv[3]));
	/* INIT chunk: type 1, length 20, initiate tag, a_rwnd, streams,
	 * initial TSN. */
	pkt[12] = 1;
	put16(pkt + 14, 20);
	put32(pkt + 16, 0x11223344u);
	put32(pkt + 20, 65535);
	put16(pkt + 24, 10);
	put16(pkt + 26, 10);
	put32(pkt + 28, 1);
	crc = crc32c(pkt, sizeof(pkt));
	/* The checksum goes on the wire in little-endian byte order. */
	pkt[8] = (uint8_t)crc;
	pkt[9] = (uint8_t)(crc >> 8);
	pkt[10] = (uint8_t)(crc >> 16);
	pkt[11] = (uint8_t)(crc >> 24);
	if ((s = socket(fam, SOCK_RAW, IPPROTO_SCTP)) < 0) {
		perror("socket");
		return 1;
	}
	if (sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0) {
		perror("sendto");
		return 1;
	}
	close(s);
	return 0;
}
