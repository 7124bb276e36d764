// The web vault's entry: the page shows what the vault worker (vault.ts) answers.
import { render } from 'preact';
import { App } from './components/App';
import './styles.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
