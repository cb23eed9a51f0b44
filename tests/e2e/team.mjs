// The app as a team ships it (tests/e2e/team.sh writes the team.json): no
// local store, one allowed server. The window starts on the sign-in screen
// with that server filled in, offers no way to the local store, and refuses
// another server next to the address field.

import { Session, assert, assertEqual, runTests, step, waitFor, waitForText } from './driver.mjs';

const TEAM_SERVER = process.env.E2E_TEAM_SERVER;

async function startsOnTheTeamsSignInAndRefusesOtherServers() {
  assert(TEAM_SERVER, 'E2E_TEAM_SERVER is set (run tests/e2e/team.sh)');
  const session = await Session.start();
  try {
    step("the first screen is the sign-in of the team's server, not the first-run setup");
    await session.find('[data-testid="sign-in"]');
    assertEqual(await session.property('#server-url', 'value'), TEAM_SERVER, 'the server address');
    const note = await session.text('[data-testid="sign-in-team"]');
    assert(note.includes(`signs in only to ${TEAM_SERVER}`), `the screen says whose rules apply (read ${JSON.stringify(note)})`);
    assertEqual(await session.count('[data-testid="sign-in-cancel"]'), 0, '"Use the local store" buttons');
    assertEqual(await session.count('[data-testid="first-run"]'), 0, 'first-run screens');
    await session.screenshot('team-01-sign-in');

    step('another server is refused next to the address field');
    await session.type('#server-url', 'https://elsewhere.example');
    await session.type('#email', 'dev@team.example');
    await session.type('#password', 'not-sent-anywhere');
    await session.click('[data-testid="sign-in-submit"]');
    const error = await waitFor('the address field error', async () => {
      const found = await session.all('#server-url-error');
      return found.length > 0 ? session.cmd('GET', `/element/${found[0]}/text`) : null;
    });
    assert(error.includes(`signs in only to ${TEAM_SERVER}`), `the error names the allowed server (read ${JSON.stringify(error)})`);
    await waitForText(session, '#server-url-error', error);
    await session.screenshot('team-02-other-server-refused');

    step('the local store is refused by the shell too, not only hidden');
    const refused = await session.cmd('POST', '/execute/async', {
      script: `const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke('use_profile', { profile_id: null }).then(
          () => done('switched'), (e) => done(typeof e === 'string' ? e : JSON.stringify(e)));`,
      args: [],
    });
    assert(/local store is turned off/.test(refused), `use_profile(null) is refused (got ${refused})`);
  } catch (err) {
    await session.failureScreenshot();
    throw err;
  } finally {
    await session.end();
  }
}

await runTests([["a team's build starts on its server's sign-in and refuses other servers and the local store", startsOnTheTeamsSignInAndRefusesOtherServers]]);
