import { mount } from 'svelte';
import App from './App.svelte';
import { getBridge } from './lib/api.js';
import { AppState } from './state/app.svelte.js';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(App, { target, props: { app: new AppState(getBridge()) } });
