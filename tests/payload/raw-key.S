/*
 * A bare-metal payload that waits for a key the way boot loaders and
 * kvm-unit-tests do: it polls the ns16550's line status register at
 * 0x09000000, never enabling the receive interrupt, then echoes the key
 * and powers off with PSCI SYSTEM_OFF. For `itsy run --kernel-format raw`.
 */
	.text
	.global _start
_start:
	ldr	x21, =0x09000000	/* UART: data at +0, line status at +5 */
	adr	x1, msg_ask
	bl	puts
wait:
	ldrb	w2, [x21, #5]
	tbz	w2, #0, wait		/* LSR.DR: a byte has come */
	ldrb	w19, [x21]
	adr	x1, msg_got
	bl	puts
	strb	w19, [x21]
	adr	x1, msg_end
	bl	puts
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
msg_ask:	.asciz "ITSY-RAW-KEY?\r\n"
msg_got:	.asciz "ITSY-RAW-GOT "
msg_end:	.asciz "\r\n"
