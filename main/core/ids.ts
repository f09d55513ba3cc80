/** Ids are a port: tests inject a counter, production a random UUID. */
export interface IdSource {
  next(): string;
}

export class CounterIds implements IdSource {
  private n = 0;
  constructor(private readonly prefix = 'id') {}
  next(): string {
    this.n += 1;
    return `${this.prefix}-${this.n}`;
  }
}
