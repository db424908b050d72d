import { permissionsEn } from '../screens/permissions/i18n';
import { schedulerEn } from '../screens/scheduler/i18n';
// English. zh.ts must have every key (the type checker enforces it). The owner's words (shared/UI.md):
// "home cloud", "main server", "device", "set up", "recovery words"; never zone/OOD/node/mnemonic.
import { desktopEn } from '../desktop/i18n';
import { appsOpsEn } from '../screens/apps/i18n';
import { homeChecksEn } from '../screens/home/checks/i18n';
import { settingsEn } from '../screens/settings/i18n';
import { sudoEn } from '../components/sudo-i18n';
import { peopleEn } from '../screens/people/i18n';
import { devicesEn } from '../screens/devices/i18n';

const errorTexts = {
  INVALID_PARAMS: { what: 'Something in the request was not accepted.', next: 'Check what you entered and try again.' },
  UNAUTHENTICATED: { what: 'You are not signed in any more.', next: 'Sign in again; what you were doing stays on the page.' },
  TOKEN_EXPIRED: { what: 'Your sign-in has expired.', next: 'Sign in again; what you were doing stays on the page.' },
  PERMISSION_DENIED: { what: 'Your account is not allowed to do this.', next: 'Ask the owner of this home cloud to give you access.' },
  NOT_FOUND: { what: 'That could not be found; it may have been removed.', next: 'Go back and refresh the list.' },
  ALREADY_EXISTS: { what: 'Something with that name already exists.', next: 'Choose another name.' },
  VERSION_CONFLICT: { what: 'Someone else changed this at the same moment.', next: 'Refresh and try again.' },
  NOT_ACTIVATED: { what: 'This device is not set up yet.', next: 'Open the setup page of the device and finish setting it up.' },
  ALREADY_ACTIVATED: { what: 'This device is already set up.', next: 'Open its control panel and sign in.' },
  UNKNOWN_METHOD: { what: 'This part of your home cloud does not know that request; it may be an older version.', next: 'Update your home cloud, then try again.' },
  PAYLOAD_TOO_LARGE: { what: 'That is too large to send.', next: 'Try a smaller file.' },
  RESOURCE_EXHAUSTED: { what: 'The disk of your home cloud is full, so nothing was saved.', next: 'Free some space on the main server (delete or move large files), then try again.' },
  RATE_LIMITED: { what: 'Too many attempts in a short time.', next: 'Wait a moment, then try again.' },
  RATE_LIMITED_timed: { what: 'Too many attempts in a short time.', next: 'Wait about {{minutes}} min, then try again.' },
  RATE_LIMITED_seconds: { what: 'Too many attempts in a short time.', next: 'Wait {{seconds}} s, then try again.' },
  UNAVAILABLE: { what: 'Part of your home cloud is not answering right now.', next: 'Wait a moment and try again; if it lasts, restart the main server.' },
  TIMEOUT: { what: 'Your home cloud took too long to answer.', next: 'Try again in a moment.' },
  INTEGRITY: { what: 'A check of the data failed, so nothing was changed.', next: 'Try again; if it happens again, the device may be faulty or tampered with.' },
  FAILED_PRECONDITION: { what: 'This cannot be done in the current state.', next: 'Refresh the page to see the current state, then try again.' },
  INTERNAL: { what: 'Something went wrong inside your home cloud.', next: 'Try again; if it keeps happening, restart the main server.' },
  UNREACHABLE: { what: 'Your home cloud cannot be reached.', next: 'Check that the main server is switched on and connected; this page reconnects by itself.' },
  BAD_ANSWER: { what: 'Your home cloud gave an answer this page does not understand.', next: 'Reload the page; if it lasts, update your home cloud.' },
  login: {
    wrong: { what: 'That name and password do not match.', next: 'Check the spelling and try again. Passwords are case-sensitive.' },
    locked: { what: 'Too many wrong passwords, so sign-in is paused for a while.', next: 'Wait a little, then try again.' },
    locked_timed: { what: 'Too many wrong passwords, so sign-in is paused for a while.', next: 'Try again in about {{minutes}} min.' },
    locked_seconds: { what: 'Too many wrong passwords, so sign-in is paused for a while.', next: 'Try again in {{seconds}} seconds.' },
    disabled: { what: 'This account is switched off.', next: 'Ask the owner of this home cloud to switch it back on.' },
  },
  sudo: {
    wrong: { what: 'That is not your password.', next: 'Type the password you sign in with. Passwords are case-sensitive.' },
  },
  activation: {
    already: { what: 'This device has already been set up.', next: 'Open its control panel and sign in with the owner password.' },
    integrity: { what: 'The device answered with something other than what we asked for, so nothing was signed.', next: 'Restart the device and set it up again.' },
    invalid: { what: 'The device did not accept the setup.', next: 'Go back, check the names and the password, and try again.' },
  },
};

export const en = {
  app: { name: 'Home cloud' },
  common: { cancel: 'Cancel', retry: 'Try again', details: 'Details', continue: 'Continue', back: 'Back', loading: 'Loading…', refresh: 'Refresh', language: 'Language' },
  nav: { label: 'Main', home: 'Home', apps: 'Apps', people: 'People', devices: 'Devices', settings: 'Settings', permissions: 'Permissions', scheduler: 'App map', signedInAs: 'Signed in as {{user}}', logout: 'Sign out' },
  offline: { title: 'Lost contact with your home cloud.', next: 'Check that the main server is on. This page reconnects by itself.' },
  login: {
    title: 'Sign in', intro: 'Sign in to manage your home cloud.', expired: 'Your sign-in ended. Sign in again to carry on where you were.',
    user: 'Name', password: 'Password', submit: 'Sign in', signingIn: 'Signing in…',
  },
  wizard: {
    stepOf: 'Step {{n}} of {{total}}',
    welcome: {
      title: 'Set up your home cloud', intro: 'This computer ({{device}}) will become the main server of your home cloud. It takes a few minutes.',
      name: 'Your name', nameHint: 'Lowercase letters, digits, "-" or "_". You sign in with it.', nameInvalid: 'Use 1–64 lowercase letters, digits, "-" or "_".',
    },
    words: {
      title: 'Your recovery words', intro: 'These 12 words are the only way to recover your home cloud if this computer is lost. They are shown only once.',
      warning: 'Write them down on paper, in order, and keep them safe. Anyone with these words controls your home cloud.',
      listLabel: 'Recovery words, in order', copy: 'Copy', print: 'Print', copied: 'Copied.', copyFailed: 'Could not copy; please write them down.',
      haveWords: 'I already have recovery words', written: 'I have written them down',
      restoreIntro: 'Type your 12 recovery words in order, separated by spaces.', restoreLabel: 'Your recovery words',
      restoreInvalid: 'These are not 12 valid recovery words; check the spelling and the order.', makeNew: 'Make new words instead',
    },
    check: {
      title: 'Check your words', intro: 'To be sure they are written down correctly, type these three words.', word: 'Word {{n}}',
      mismatch: 'At least one word does not match. Look at what you wrote down, or go back to see the words again.',
    },
    zone: {
      title: 'Name and password', intro: 'Name your home cloud and choose the password you will sign in with.',
      name: 'Name of your home cloud', nameHint: 'Apps will open at addresses like notes.{{name}}.', nameInvalid: 'Use letters, digits and "-" (for example "home").',
      password: 'Password', passwordHint: 'At least 8 characters. Longer is stronger.', passwordShort: 'The password needs at least 8 characters.',
      passwordWeak: 'This password is too easy to guess; make it longer or less predictable.', confirm: 'Type the password again',
      confirmMismatch: 'The two passwords are not the same.', strength: 'Strength: {{level}}',
      levels: { 0: 'too short', 1: 'weak', 2: 'fair', 3: 'good', 4: 'strong' },
    },
    review: {
      title: 'Ready to set up', intro: 'Check that this is right. You can go back to change anything.',
      owner: 'Your name', zone: 'Home cloud', words: 'Recovery words', wordsNew: 'New, written down', wordsRestored: 'Your existing words',
      password: 'Password', passwordSet: 'Chosen', keyStays: 'Your recovery words never leave this page: the device receives only signatures made with them.',
      start: 'Set up my home cloud',
      delegate: 'Let the main server add devices I approve',
      delegateHint: 'NAS boxes, routers and PCs you approve on the Devices screen then join without your recovery words. This permission covers only such devices and lasts a year.',
    },
    progress: {
      intro: 'Setting up. Please keep this page open.', label: 'Setup progress',
      state: { done: 'Done', active: 'Now', waiting: 'Next' },
      phase: {
        'device-key': 'Asking the device for its key', prepare: 'Preparing the settings', sign: 'Signing with your recovery words',
        commit: 'Saving on the device', booting: 'Starting your home cloud', opening: 'Opening Home',
      },
    },
  },
  home: {
    title: 'Home', health: 'Health', counts: 'Your home cloud in numbers',
    overall: { ok: 'All good', warn: 'Needs a look', bad: 'Needs attention', unknown: 'Not known right now' },
    lastKnown: 'Last known state, from before the connection was lost:',
    status: { ok: 'OK', warn: 'Check', bad: 'Problem' },
    count: { devices: 'Devices', apps: 'Apps', people: 'People', hidden: 'Not visible with this sign-in' },
    checks: {
      unknown: 'Could not read the latest state.', unknownNext: 'Refresh in a moment.',
      services: { ok: 'All parts of your home cloud are answering.', bad: 'Not answering: {{services}}.', next: 'Wait a minute; if it lasts, restart the main server.' },
      nodes: { ok: 'All devices are reporting ({{count}}).', warn: 'Not reporting: {{devices}}.', next: 'Check that the device is switched on and connected to your network.' },
      repo: { ok: 'The app library is ready.', bad: 'The app library is not answering.', next: 'Wait a minute; if it lasts, restart the main server.' },
      apps: { none: 'No apps installed yet.', ok: 'All apps are running ({{count}}).', bad: 'Apps with a problem: {{apps}}.', next: 'Open Apps to see what happened and what to do.' },
      session: { ok: 'You are signed in.', warn: 'Your sign-in ends in about {{hours}} h.', next: 'Sign out and in again when convenient.' },
    },
  },
  apps: {
    title: 'Apps', installed: 'Your apps', library: 'App library',
    noneInstalled: 'No apps yet — install one from the library below.',
    libraryEmpty: 'The library is empty. Apps you publish to your home cloud appear here.',
    libraryAllInstalled: 'Every app in the library is installed.',
    install: 'Install', installNamed: 'Install {{name}}', open: 'Open', update: 'Update', chooseVersion: 'Version to update {{name}} to',
    uninstall: 'Uninstall', uninstallConfirm: 'Uninstall {{name}}? It stops and is removed from your home cloud; its data is kept, so installing it again brings it back.',
    uninstallYes: 'Uninstall {{name}}', onDevice: 'on {{device}}', progressOf: 'Progress of {{name}}',
    state: {
      installing: 'Installing', upgrading: 'Updating', 'rolling-back': 'Going back', uninstalling: 'Uninstalling', running: 'Running',
      starting: 'Starting', 'rolled-back': 'Went back to the previous version', stopped: 'Stopped', failed: 'Not working', failing: 'Keeps stopping',
    },
    phase: {
      preparing: 'Getting the app ready', scheduling: 'Choosing a device', 'waiting-for-node': 'Waiting for a device', switching: 'Switching versions',
      downloading: 'Downloading', deploying: 'Setting up', starting: 'Starting', 'health-check': 'Checking that it works',
      'rolling-back': 'Going back to the previous version', restoring: 'Restoring your data', removing: 'Removing', done: 'Done', failed: 'Failed', working: 'Working',
    },
    rollback: {
      automatic: '{{from}} did not pass its health check, so your home cloud went back to {{to}}.',
      automaticRestored: '{{from}} did not pass its health check; back on {{to}}, your data restored.',
      manual: 'Went back from {{from}} to {{to}} as you asked.',
      manualRestored: 'Went back from {{from}} to {{to}} as you asked; your data from before the update is restored.',
    },
  },
  appsOps: appsOpsEn,
  homeChecks: homeChecksEn,
  settings: settingsEn,
  sudo: sudoEn,
  people: peopleEn,
  devices: devicesEn,
  errors: errorTexts,
  desktop: desktopEn,
  permissions: permissionsEn,
  scheduler: schedulerEn,
};

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };
export type Messages = Widen<typeof en>;
