/* `itsy inspect DIR [--json]` (its command line: vmm/front/commands.c):
 * what a snapshot directory holds, for a
 * person (a text report) or a tool (JSON), without KVM and without
 * changing anything. Both views are printed from the same JSON object.
 *
 * The JSON object: "snapshot" (DIR), "format" (file format version,
 * architecture, sections with their versions and sizes), "source" (the
 * saving host's kernel release, page size, IPA bits, from the board's
 * part), "time", "config" (vCPUs, memory, disks, NICs, ...), "memory"
 * (the RAM file), the board's part from arch/arm64/inspect.h ("abi",
 * "source", "vcpus", "gic", "its" with the ITS tables walked in guest
 * RAM), "devices" (each device section; virtio PCI functions with their
 * slot, requester id, status, MSI-X vectors and queues), "warnings" (what
 * would restore but not work, e.g. an MSI-X vector in use whose interrupt
 * the board does not map: arm64_inspect_msi_check) and "problems"
 * (why it would not restore, if anything).
 *
 * Exit status: 0 when the snapshot looks restorable; 1 when it cannot be
 * read (missing directory or state file, a damaged state file: the
 * stream's message, naming the section, goes to stderr) or has a problem
 * (e.g. a missing or short memory file, invalid ITS tables), which is
 * reported after everything the state file says. */
#ifndef ITSY_INSPECT_H
#define ITSY_INSPECT_H

/* Print what the snapshot in @dir holds (@as_json: the JSON object, else
 * the text report) to stdout. Returns the exit status above. */
int inspect_show(const char *dir, int as_json);

#endif
