// Vitest global setup: generates the test archives once per run (reused while the generator is
// unchanged), before any test file starts, so parallel test files never generate them twice.
export default async function setup() {
  const { fixtures } = await import('./fixtures') // generating is part of loading the module
  console.log(fixtures.generatedMs === null ? `fixtures: reusing ${fixtures.dir}` : `fixtures: generated in ${fixtures.generatedMs} ms into ${fixtures.dir}`)
}
