/**
 * Every UI string of the browser client, in English and Spanish (same keys: a test checks).
 * `{name}` marks a placeholder `t()` fills in. Keep the tone calm and plain.
 *
 * @module app/catalogue
 */

const en = {
  // notifications (home screen card)
  'notify.title': 'Notifications on this device',
  'notify.hint': 'Get a notice when someone asks for your support or writes to you. Notices never show a name or a message.',
  'notify.on': 'Notifications are on.',
  'notify.off': 'Notifications are off.',
  'notify.blocked': 'Notifications are blocked in this browser’s settings.',
  'notify.turnOn': 'Turn on notifications',
  'notify.turnOff': 'Turn off notifications',
  'notify.notAllowed': 'The browser did not allow notifications. You can change this in its site settings.',
  'notify.newMessage': 'New message',

  // offline and sign-in
  'offline.banner': 'Offline — your messages will be sent when you’re back',
  'signin.failedTitle': 'Cannot reach Peerhaven',
  'signin.failedBody': 'The server cannot be reached right now. Check your connection; this page tries again by itself.',
  'signin.retry': 'Try again',
  'crisis.now': 'If you need help now, these lines are free and confidential:',
  'crisis.button': 'Crisis help',
  'crisis.title': 'Get help now',
  'crisis.intro': 'You do not have to wait for a peer. These lines are free and confidential:',
  'crisis.fallback': 'If you are in immediate danger, call your local emergency number.',
  'crisis.textLink': 'text {number}',

  // home
  'home.rooms': 'Your conversations',
  'home.unread': '{count} unread',

  // common
  'common.back': 'Back',
  'common.close': 'Close',
  'common.cancel': 'Cancel',

  // header
  'quickExit.label': 'Exit',
  'quickExit.aria': 'Quick exit: leave this page now and lock Peerhaven',
  'status.connecting': 'Connecting…',
  'status.online': 'Connected',
  'status.reconnecting': 'Reconnecting…',
  'status.offline': 'Offline',

  // the chat
  'chat.messages': 'Messages',
  'chat.message': 'Message',
  'chat.placeholder': 'Write a message',
  'chat.send': 'Send',
  'chat.hintKeyboard': 'Enter sends; Shift+Enter starts a new line.',
  'chat.hintTouch': 'The Send button sends; Enter starts a new line.',
  'chat.newMessages': 'New messages ↓',
  'chat.today': 'Today',
  'chat.yesterday': 'Yesterday',
  'chat.you': 'You',
  'chat.state.sending': 'Sending…',
  'chat.state.waiting': 'Waiting for connection',
  'chat.state.sent': 'Sent',
  'chat.state.delivered': 'Delivered',
  'chat.state.failed': 'Not sent',

  // the room
  'room.title': 'Conversation with {handle}',
  'room.heading': 'Talking with {handle}',
  'room.back': '‹ All conversations',
  'room.unavailableTitle': 'Conversation unavailable',
  'room.options': 'More options',
  'room.safetyNumber': 'Safety number',
  'room.safetyTitle': 'Safety number',
  'room.safetyExplain': 'Compare this number with {handle}, for example by reading it out on a call. If it matches, nobody is in the middle of your conversation.',
  'room.notJoined': '{handle} has not joined yet.',
  'room.end': 'End conversation',
  'room.endConfirmTitle': 'End this conversation?',
  'room.endConfirmText': 'It ends for both of you; neither of you can write in it again.',
  'room.block': 'Block',
  'room.blockConfirmTitle': 'Block {handle}?',
  'room.blockConfirmText': 'This ends the conversation, and you will never be matched with this person again.',
  'room.peerLeft': '{handle} has left the conversation.',
  'room.waitingForPeer': 'Waiting for {handle} to join…',

  // after a room ends
  'closing.title': 'This conversation has ended.',
  'closing.ended': 'Neither of you can write in it any more.',
  'closing.peerLeft': '{handle} has left, so the conversation has ended.',
  'closing.blocked': 'You blocked {handle}. The conversation has ended and you will not be matched with them again.',
  'closing.thanks': 'Reaching out takes courage. You can ask for support again whenever you want.',
  'closing.askAgain': 'Ask for support again',
  'closing.home': 'Back to start',
};

const es = {
  'notify.title': 'Notificaciones en este dispositivo',
  'notify.hint': 'Recibe un aviso cuando alguien pida tu apoyo o te escriba. Los avisos nunca muestran un nombre ni un mensaje.',
  'notify.on': 'Las notificaciones están activadas.',
  'notify.off': 'Las notificaciones están desactivadas.',
  'notify.blocked': 'Las notificaciones están bloqueadas en la configuración de este navegador.',
  'notify.turnOn': 'Activar notificaciones',
  'notify.turnOff': 'Desactivar notificaciones',
  'notify.notAllowed': 'El navegador no permitió las notificaciones. Puedes cambiarlo en la configuración del sitio.',
  'notify.newMessage': 'Mensaje nuevo',

  'offline.banner': 'Sin conexión: tus mensajes se enviarán cuando vuelvas a estar en línea',
  'signin.failedTitle': 'No se puede conectar con Peerhaven',
  'signin.failedBody': 'No se puede conectar con el servidor ahora. Revisa tu conexión; esta página lo vuelve a intentar sola.',
  'signin.retry': 'Intentar de nuevo',
  'crisis.now': 'Si necesitas ayuda ahora, estas líneas son gratuitas y confidenciales:',
  'crisis.button': 'Ayuda en crisis',
  'crisis.title': 'Consigue ayuda ahora',
  'crisis.intro': 'No tienes que esperar a una persona de apoyo. Estas líneas son gratuitas y confidenciales:',
  'crisis.fallback': 'Si estás en peligro inmediato, llama a tu número local de emergencias.',
  'crisis.textLink': 'enviar texto al {number}',

  'home.rooms': 'Tus conversaciones',
  'home.unread': '{count} sin leer',

  'common.back': 'Volver',
  'common.close': 'Cerrar',
  'common.cancel': 'Cancelar',

  'quickExit.label': 'Salir',
  'quickExit.aria': 'Salida rápida: salir de esta página ahora y bloquear Peerhaven',
  'status.connecting': 'Conectando…',
  'status.online': 'Conectado',
  'status.reconnecting': 'Reconectando…',
  'status.offline': 'Sin conexión',

  'chat.messages': 'Mensajes',
  'chat.message': 'Mensaje',
  'chat.placeholder': 'Escribe un mensaje',
  'chat.send': 'Enviar',
  'chat.hintKeyboard': 'Intro envía; Mayús+Intro empieza una línea nueva.',
  'chat.hintTouch': 'El botón Enviar envía; Intro empieza una línea nueva.',
  'chat.newMessages': 'Mensajes nuevos ↓',
  'chat.today': 'Hoy',
  'chat.yesterday': 'Ayer',
  'chat.you': 'Tú',
  'chat.state.sending': 'Enviando…',
  'chat.state.waiting': 'Esperando conexión',
  'chat.state.sent': 'Enviado',
  'chat.state.delivered': 'Entregado',
  'chat.state.failed': 'No enviado',

  'room.title': 'Conversación con {handle}',
  'room.heading': 'Hablando con {handle}',
  'room.back': '‹ Todas las conversaciones',
  'room.unavailableTitle': 'Conversación no disponible',
  'room.options': 'Más opciones',
  'room.safetyNumber': 'Número de seguridad',
  'room.safetyTitle': 'Número de seguridad',
  'room.safetyExplain': 'Compara este número con {handle}, por ejemplo leyéndolo en voz alta en una llamada. Si coincide, nadie está en medio de vuestra conversación.',
  'room.notJoined': '{handle} aún no se ha unido.',
  'room.end': 'Terminar conversación',
  'room.endConfirmTitle': '¿Terminar esta conversación?',
  'room.endConfirmText': 'Termina para las dos personas; ninguna podrá volver a escribir en ella.',
  'room.block': 'Bloquear',
  'room.blockConfirmTitle': '¿Bloquear a {handle}?',
  'room.blockConfirmText': 'La conversación termina y nunca volverás a coincidir con esta persona.',
  'room.peerLeft': '{handle} ha salido de la conversación.',
  'room.waitingForPeer': 'Esperando a que {handle} se una…',

  'closing.title': 'Esta conversación ha terminado.',
  'closing.ended': 'Ninguna de las dos personas puede seguir escribiendo en ella.',
  'closing.peerLeft': '{handle} ha salido, así que la conversación ha terminado.',
  'closing.blocked': 'Has bloqueado a {handle}. La conversación ha terminado y no volveréis a coincidir.',
  'closing.thanks': 'Pedir ayuda requiere valor. Puedes volver a pedir apoyo cuando quieras.',
  'closing.askAgain': 'Pedir apoyo de nuevo',
  'closing.home': 'Volver al inicio',
};

export const CATALOGUE = Object.freeze({ en: Object.freeze(en), es: Object.freeze(es) });
