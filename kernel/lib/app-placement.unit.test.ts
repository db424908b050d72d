import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placesApp } from './app-placement.js';

const config = (apps: Record<string, unknown>) => JSON.stringify({ node_id: 'nas1', kernel: {}, apps });

test('an app is placed when an entry names it for that user, by app_spec or by instance id', () => {
  const bySpec = config({ x: { target_state: 'Running', app_spec: { installation_id: 'notes', user_id: 'bob' } } });
  assert.equal(placesApp(bySpec, 'nas1', 'notes', 'bob'), true);
  assert.equal(placesApp(bySpec, 'nas1', 'notes', 'alice'), false);
  assert.equal(placesApp(bySpec, 'nas1', 'photos', 'bob'), false);
  const byKey = config({ 'notes@bob@nas1': { target_state: 'Running' } });
  assert.equal(placesApp(byKey, 'nas1', 'notes', 'bob'), true);
  assert.equal(placesApp(byKey, 'ood1', 'notes', 'bob'), false, 'an instance id of another node says nothing');
});

test('entries node-daemon would refuse, and configs that are not JSON objects, place nothing', () => {
  const disagree = config({ 'notes@bob@nas1': { target_state: 'Running', app_spec: { installation_id: 'notes', user_id: 'alice' } } });
  assert.equal(placesApp(disagree, 'nas1', 'notes', 'alice'), false);
  assert.equal(placesApp(disagree, 'nas1', 'notes', 'bob'), false);
  for (const text of [undefined, '', 'not json', '[]', '{"apps":[]}', '{"apps":{"a":null}}']) assert.equal(placesApp(text, 'nas1', 'notes', 'bob'), false);
});
