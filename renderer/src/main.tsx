import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startI18n } from './i18n';
import { App } from './app/App';
import './styles/base.css';

startI18n();
createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
