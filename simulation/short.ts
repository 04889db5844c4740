/** An id as a trace prints it: its first eight characters, and a branch's suffix whole. */
export function short(id: string): string {
  return id.length > 14 ? `${id.slice(0, 8)}${id.includes('~') ? id.slice(id.indexOf('~')) : ''}` : id;
}
