/** Ids are a port: tests inject a counter, production a random UUID. */
export interface IdSource {
  next(): string;
}

export class CounterIds implements IdSource {
  private issued = 0;
  constructor(private readonly prefix = 'id') {}
  next(): string {
    this.issued += 1;
    return `${this.prefix}-${this.issued}`;
  }
}
