/*
 * A headerless bare-metal payload for `itsy run --kernel-format raw`.
 * It checks the raw boot contract (x0 = a device tree placed above the
 * payload), reports on the ns16550 at 0x09000000 and powers off with PSCI
 * SYSTEM_OFF. Position independent: itsy loads it at RAM base + 0x80000.
 */
	.text
	.global _start
_start:
	mov	x19, x0			/* DTB address from itsy */
	adr	x20, _start		/* our load address */
	ldr	x21, =0x09000000	/* UART data register */
	adr	x1, msg_start
	bl	puts
	cmp	x19, x20		/* the DTB must lie above us */
	b.ls	bad
	ldr	w2, [x19]
	ldr	w3, =0xedfe0dd0		/* FDT magic 0xd00dfeed, stored big-endian */
	cmp	w2, w3
	b.ne	bad
	adr	x1, msg_dtb
	bl	puts
	b	off
bad:
	adr	x1, msg_bad
	bl	puts
off:
	ldr	x0, =0x84000008		/* PSCI SYSTEM_OFF */
	hvc	#0
1:	wfi
	b	1b

/* Write the NUL-terminated string at x1 to the UART at x21. */
puts:
	ldrb	w2, [x1], #1
	cbz	w2, 2f
	strb	w2, [x21]
	b	puts
2:	ret

	.ltorg
msg_start:	.asciz "ITSY-RAW-START\r\n"
msg_dtb:	.asciz "ITSY-RAW-DTB-OK\r\n"
msg_bad:	.asciz "ITSY-RAW-DTB-BAD\r\n"
