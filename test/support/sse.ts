/** A parser as the EventSource spec has it: lines end at CRLF, LF or a bare CR. */
export function parseEvents(text: string): { id: string; event: string; data: string }[] {
  const events: { id: string; event: string; data: string }[] = [];
  let current = { id: '', event: 'message', data: [] as string[] };
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (current.data.length > 0) events.push({ id: current.id, event: current.event, data: current.data.join('\n') });
      current = { id: current.id, event: 'message', data: [] };
      continue;
    }
    const [field, value] = line.includes(':')
      ? [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).replace(/^ /, '')]
      : [line, ''];
    if (field === 'data') current.data.push(value);
    else if (field === 'event') current.event = value;
    else if (field === 'id') current.id = value;
  }
  return events;
}
