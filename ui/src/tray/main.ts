// Mounts the tray window's UI (tray.html): the signed-in user's keys.
import { mount } from 'svelte';
import TrayApp from './TrayApp.svelte';
import '../app.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing from tray.html');

export default mount(TrayApp, { target });
