export { buildAcknowledgementOk, readEnvelope, type MessageEnvelope, type Organisation } from './acknowledgement.ts';
export { readNotification, subscriptionSecret, verifySignature, SIGNATURE_HEADER, type Notification, type NotificationEvent } from './notifications.ts';
export {
  createMunicipalReceiver,
  type MunicipalReceiver,
  type MunicipalReceiverOptions,
  type ReceivedDocument,
  type ReceivedEvent,
  type ReceivedMessage,
} from './receiver.ts';
export { TOPIC_NAMES, type ReceiverState, type TopicName } from './state.ts';
