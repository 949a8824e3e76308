"""Keras 2.2.4 / 2.3.1 import names that tf_keras serves elsewhere or not at all. GENERATED.

Regenerate with ``python tests/standalone_keras/surface.py`` (it walks the real wheels).
Of 1341 public names in 78 app-facing modules of the two wheels, the ones that
``keras.<module>.<name>`` does not already give under the shim:

* ``MOVED``: ``"module:name"`` -> ``"api.path.Attr"``, the tf_keras equivalent, relative
  to the API tree the shim serves (``keras.layers.merge:Add`` -> ``layers.Add``), or an
  absolute ``tf_keras.src...`` / ``tensorflow...`` path for what lives outside tf_keras's
  public API, or ``legacy_shim.keras2_functions...`` for a Keras 2 function tf_keras dropped;
* ``REMOVED``: ``"module:name"`` -> what replaced it, the message of the ImportError
  that ``from keras.<module> import <name>`` raises.

The ``keras2-import-surface`` row of ``legacy_shim.patches`` applies them.
"""

MOVED: dict[str, str] = {'activations:Layer': 'layers.Layer',
 'activations:deserialize_keras_object': 'saving.deserialize_keras_object',
 'applications.densenet:densenet': 'applications.densenet',
 'applications.imagenet_utils:imagenet_utils': 'applications.imagenet_utils',
 'applications.inception_resnet_v2:inception_resnet_v2': 'applications.inception_resnet_v2',
 'applications.inception_v3:inception_v3': 'applications.inception_v3',
 'applications.mobilenet:mobilenet': 'applications.mobilenet',
 'applications.mobilenet_v2:mobilenet_v2': 'applications.mobilenet_v2',
 'applications.mobilenetv2:MobileNetV2': 'applications.MobileNetV2',
 'applications.mobilenetv2:decode_predictions': 'applications.mobilenet_v2.decode_predictions',
 'applications.mobilenetv2:mobilenet_v2': 'applications.mobilenet_v2',
 'applications.mobilenetv2:preprocess_input': 'applications.mobilenet_v2.preprocess_input',
 'applications.nasnet:nasnet': 'applications.nasnet',
 'applications.resnet50:resnet50': 'applications.resnet50',
 'applications.resnet:resnet': 'applications.resnet',
 'applications.resnet_v2:resnet_v2': 'applications.resnet_v2',
 'applications.vgg16:vgg16': 'applications.vgg16',
 'applications.vgg19:vgg19': 'applications.vgg19',
 'applications.xception:xception': 'applications.xception',
 'backend.common:cast_to_floatx': 'backend.cast_to_floatx',
 'backend.common:epsilon': 'backend.epsilon',
 'backend.common:floatx': 'backend.floatx',
 'backend.common:image_data_format': 'backend.image_data_format',
 'backend.common:image_dim_ordering': 'legacy_shim.keras2_functions.image_dim_ordering',
 'backend.common:normalize_data_format': 'tf_keras.src.utils.conv_utils.normalize_data_format',
 'backend.common:set_epsilon': 'backend.set_epsilon',
 'backend.common:set_floatx': 'backend.set_floatx',
 'backend.common:set_image_data_format': 'backend.set_image_data_format',
 'backend.common:set_image_dim_ordering': 'legacy_shim.keras2_functions.set_image_dim_ordering',
 'backend.tensorflow_backend:Function': 'tf_keras.src.backend.GraphExecutionFunction',
 'backend.tensorflow_backend:control_dependencies': 'tensorflow.control_dependencies',
 'backend.tensorflow_backend:image_dim_ordering': 'legacy_shim.keras2_functions.image_dim_ordering',
 'backend.tensorflow_backend:is_tensor': 'tensorflow.is_tensor',
 'backend.tensorflow_backend:normalize_data_format': 'tf_keras.src.utils.conv_utils.normalize_data_format',
 'backend.tensorflow_backend:set_image_dim_ordering': 'legacy_shim.keras2_functions.set_image_dim_ordering',
 'backend.tensorflow_backend:size': 'tensorflow.size',
 'backend:Function': 'tf_keras.src.backend.GraphExecutionFunction',
 'backend:b_any': 'backend.any',
 'backend:control_dependencies': 'tensorflow.control_dependencies',
 'backend:conv3d_transpose': '__internal__.legacy.layers.conv3d_transpose',
 'backend:identity': 'initializers.identity',
 'backend:image_dim_ordering': 'legacy_shim.keras2_functions.image_dim_ordering',
 'backend:is_placeholder': 'tf_keras.src.backend.is_placeholder',
 'backend:is_tensor': 'tensorflow.is_tensor',
 'backend:logsumexp': 'tf_keras.src.backend.logsumexp',
 'backend:normalize_data_format': 'tf_keras.src.utils.conv_utils.normalize_data_format',
 'backend:py_all': 'backend.all',
 'backend:py_any': 'backend.any',
 'backend:py_sum': 'backend.sum',
 'backend:separable_conv1d': '__internal__.legacy.layers.separable_conv1d',
 'backend:set_image_dim_ordering': 'legacy_shim.keras2_functions.set_image_dim_ordering',
 'backend:size': 'tensorflow.size',
 'callbacks.callbacks:BaseLogger': 'callbacks.BaseLogger',
 'callbacks.callbacks:CSVLogger': 'callbacks.CSVLogger',
 'callbacks.callbacks:Callback': 'callbacks.Callback',
 'callbacks.callbacks:CallbackList': 'callbacks.CallbackList',
 'callbacks.callbacks:EarlyStopping': 'callbacks.EarlyStopping',
 'callbacks.callbacks:History': 'callbacks.History',
 'callbacks.callbacks:LambdaCallback': 'callbacks.LambdaCallback',
 'callbacks.callbacks:LearningRateScheduler': 'callbacks.LearningRateScheduler',
 'callbacks.callbacks:ModelCheckpoint': 'callbacks.ModelCheckpoint',
 'callbacks.callbacks:Progbar': 'utils.Progbar',
 'callbacks.callbacks:ProgbarLogger': 'callbacks.ProgbarLogger',
 'callbacks.callbacks:ReduceLROnPlateau': 'callbacks.ReduceLROnPlateau',
 'callbacks.callbacks:RemoteMonitor': 'callbacks.RemoteMonitor',
 'callbacks.callbacks:TerminateOnNaN': 'callbacks.TerminateOnNaN',
 'callbacks:Progbar': 'utils.Progbar',
 'constraints:deserialize_keras_object': 'saving.deserialize_keras_object',
 'constraints:maxnorm': 'constraints.max_norm',
 'constraints:nonneg': 'constraints.non_neg',
 'constraints:serialize_keras_object': 'saving.serialize_keras_object',
 'constraints:unitnorm': 'constraints.unit_norm',
 'datasets.boston_housing:get_file': 'utils.get_file',
 'datasets.cifar100:get_file': 'utils.get_file',
 'datasets.cifar100:load_batch': 'tf_keras.src.datasets.cifar100.load_batch',
 'datasets.cifar10:get_file': 'utils.get_file',
 'datasets.cifar10:load_batch': 'tf_keras.src.datasets.cifar10.load_batch',
 'datasets.fashion_mnist:get_file': 'utils.get_file',
 'datasets.imdb:get_file': 'utils.get_file',
 'datasets.mnist:get_file': 'utils.get_file',
 'datasets.reuters:get_file': 'utils.get_file',
 'engine.base_layer:InputSpec': 'layers.InputSpec',
 'engine.base_layer:count_params': 'backend.count_params',
 'engine.input_layer:Layer': 'layers.Layer',
 'engine.network:InputLayer': 'layers.InputLayer',
 'engine.network:Layer': 'layers.Layer',
 'engine.network:Network': 'tf_keras.src.engine.functional.Functional',
 'engine.network:get_source_inputs': 'utils.get_source_inputs',
 'engine.saving:model_from_config': 'models.model_from_config',
 'engine.saving:model_from_json': 'models.model_from_json',
 'engine.saving:model_from_yaml': 'models.model_from_yaml',
 'engine.sequential:Input': 'Input',
 'engine.sequential:InputLayer': 'layers.InputLayer',
 'engine.sequential:Layer': 'layers.Layer',
 'engine.sequential:Model': 'Model',
 'engine.topology:Input': 'Input',
 'engine.topology:InputLayer': 'layers.InputLayer',
 'engine.topology:InputSpec': 'layers.InputSpec',
 'engine.topology:Layer': 'layers.Layer',
 'engine.topology:Network': 'tf_keras.src.engine.functional.Functional',
 'engine.topology:get_source_inputs': 'utils.get_source_inputs',
 'engine.training:Layer': 'layers.Layer',
 'engine.training:Network': 'tf_keras.src.engine.functional.Functional',
 'engine:Input': 'Input',
 'engine:InputLayer': 'layers.InputLayer',
 'engine:InputSpec': 'layers.InputSpec',
 'engine:Layer': 'layers.Layer',
 'engine:Model': 'Model',
 'engine:get_source_inputs': 'utils.get_source_inputs',
 'initializers:deserialize_keras_object': 'saving.deserialize_keras_object',
 'initializers:one': 'initializers.Ones',
 'initializers:serialize_keras_object': 'saving.serialize_keras_object',
 'initializers:zero': 'initializers.Zeros',
 'layers.advanced_activations:ELU': 'layers.ELU',
 'layers.advanced_activations:InputSpec': 'layers.InputSpec',
 'layers.advanced_activations:Layer': 'layers.Layer',
 'layers.advanced_activations:LeakyReLU': 'layers.LeakyReLU',
 'layers.advanced_activations:PReLU': 'layers.PReLU',
 'layers.advanced_activations:ReLU': 'layers.ReLU',
 'layers.advanced_activations:Softmax': 'layers.Softmax',
 'layers.advanced_activations:ThresholdedReLU': 'layers.ThresholdedReLU',
 'layers.convolutional:Deconv2D': 'layers.Conv2DTranspose',
 'layers.convolutional:Deconv3D': 'layers.Conv3DTranspose',
 'layers.convolutional:Deconvolution2D': 'layers.Conv2DTranspose',
 'layers.convolutional:Deconvolution3D': 'layers.Conv3DTranspose',
 'layers.convolutional:InputSpec': 'layers.InputSpec',
 'layers.convolutional:Layer': 'layers.Layer',
 'layers.convolutional_recurrent:ConvLSTM2D': 'layers.ConvLSTM2D',
 'layers.convolutional_recurrent:InputSpec': 'layers.InputSpec',
 'layers.convolutional_recurrent:Layer': 'layers.Layer',
 'layers.convolutional_recurrent:RNN': 'layers.RNN',
 'layers.core:InputSpec': 'layers.InputSpec',
 'layers.core:Layer': 'layers.Layer',
 'layers.core:deserialize_keras_object': 'saving.deserialize_keras_object',
 'layers.cudnn_recurrent:CuDNNGRU': 'layers.CuDNNGRU',
 'layers.cudnn_recurrent:CuDNNLSTM': 'layers.CuDNNLSTM',
 'layers.cudnn_recurrent:InputSpec': 'layers.InputSpec',
 'layers.cudnn_recurrent:RNN': 'layers.RNN',
 'layers.embeddings:Embedding': 'layers.Embedding',
 'layers.embeddings:Layer': 'layers.Layer',
 'layers.local:InputSpec': 'layers.InputSpec',
 'layers.local:Layer': 'layers.Layer',
 'layers.local:LocallyConnected1D': 'layers.LocallyConnected1D',
 'layers.local:LocallyConnected2D': 'layers.LocallyConnected2D',
 'layers.merge:Add': 'layers.Add',
 'layers.merge:Average': 'layers.Average',
 'layers.merge:Concatenate': 'layers.Concatenate',
 'layers.merge:Dot': 'layers.Dot',
 'layers.merge:Layer': 'layers.Layer',
 'layers.merge:Maximum': 'layers.Maximum',
 'layers.merge:Minimum': 'layers.Minimum',
 'layers.merge:Multiply': 'layers.Multiply',
 'layers.merge:Subtract': 'layers.Subtract',
 'layers.merge:add': 'layers.add',
 'layers.merge:average': 'layers.average',
 'layers.merge:concatenate': 'layers.concatenate',
 'layers.merge:dot': 'layers.dot',
 'layers.merge:maximum': 'layers.maximum',
 'layers.merge:minimum': 'layers.minimum',
 'layers.merge:multiply': 'layers.multiply',
 'layers.merge:subtract': 'layers.subtract',
 'layers.noise:Layer': 'layers.Layer',
 'layers.normalization:BatchNormalization': 'layers.BatchNormalization',
 'layers.normalization:InputSpec': 'layers.InputSpec',
 'layers.normalization:Layer': 'layers.Layer',
 'layers.pooling:InputSpec': 'layers.InputSpec',
 'layers.pooling:Layer': 'layers.Layer',
 'layers.recurrent:GRU': 'layers.GRU',
 'layers.recurrent:GRUCell': 'layers.GRUCell',
 'layers.recurrent:InputSpec': 'layers.InputSpec',
 'layers.recurrent:LSTM': 'layers.LSTM',
 'layers.recurrent:LSTMCell': 'layers.LSTMCell',
 'layers.recurrent:Layer': 'layers.Layer',
 'layers.recurrent:RNN': 'layers.RNN',
 'layers.recurrent:SimpleRNN': 'layers.SimpleRNN',
 'layers.recurrent:SimpleRNNCell': 'layers.SimpleRNNCell',
 'layers.recurrent:StackedRNNCells': 'layers.StackedRNNCells',
 'layers.wrappers:Bidirectional': 'layers.Bidirectional',
 'layers.wrappers:InputSpec': 'layers.InputSpec',
 'layers.wrappers:Layer': 'layers.Layer',
 'layers.wrappers:TimeDistributed': 'layers.TimeDistributed',
 'layers.wrappers:Wrapper': 'layers.Wrapper',
 'layers:Deconv2D': 'layers.Conv2DTranspose',
 'layers:Deconv3D': 'layers.Conv3DTranspose',
 'layers:Deconvolution2D': 'layers.Conv2DTranspose',
 'layers:Deconvolution3D': 'layers.Conv3DTranspose',
 'layers:deserialize_keras_object': 'saving.deserialize_keras_object',
 'legacy.layers:InputSpec': 'layers.InputSpec',
 'legacy.layers:Layer': 'layers.Layer',
 'losses:LossFunctionWrapper': 'tf_keras.src.losses.LossFunctionWrapper',
 'losses:deserialize_keras_object': 'saving.deserialize_keras_object',
 'losses:huber_loss': 'tf_keras.src.losses.huber_loss',
 'losses:is_categorical_crossentropy': 'tf_keras.src.losses.is_categorical_crossentropy',
 'losses:serialize_keras_object': 'saving.serialize_keras_object',
 'metrics:Layer': 'layers.Layer',
 'metrics:Reduce': 'tf_keras.src.metrics.Reduce',
 'metrics:SensitivitySpecificityBase': 'tf_keras.src.metrics.SensitivitySpecificityBase',
 'metrics:accuracy': 'tf_keras.src.metrics.accuracy',
 'metrics:categorical_hinge': 'losses.categorical_hinge',
 'metrics:clone_metric': 'tf_keras.src.metrics.clone_metric',
 'metrics:clone_metrics': 'tf_keras.src.metrics.clone_metrics',
 'metrics:cosine_similarity': 'losses.cosine_similarity',
 'metrics:deserialize_keras_object': 'saving.deserialize_keras_object',
 'metrics:serialize_keras_object': 'saving.serialize_keras_object',
 'models:Input': 'Input',
 'models:InputLayer': 'layers.InputLayer',
 'objectives:BinaryCrossentropy': 'losses.BinaryCrossentropy',
 'objectives:CategoricalCrossentropy': 'losses.CategoricalCrossentropy',
 'objectives:CategoricalHinge': 'losses.CategoricalHinge',
 'objectives:Hinge': 'losses.Hinge',
 'objectives:Huber': 'losses.Huber',
 'objectives:KLD': 'losses.KLD',
 'objectives:KLDivergence': 'losses.KLDivergence',
 'objectives:LogCosh': 'losses.LogCosh',
 'objectives:Loss': 'losses.Loss',
 'objectives:MAE': 'losses.MAE',
 'objectives:MAPE': 'losses.MAPE',
 'objectives:MSE': 'losses.MSE',
 'objectives:MSLE': 'losses.MSLE',
 'objectives:MeanAbsoluteError': 'losses.MeanAbsoluteError',
 'objectives:MeanAbsolutePercentageError': 'losses.MeanAbsolutePercentageError',
 'objectives:MeanSquaredError': 'losses.MeanSquaredError',
 'objectives:MeanSquaredLogarithmicError': 'losses.MeanSquaredLogarithmicError',
 'objectives:Poisson': 'losses.Poisson',
 'objectives:SparseCategoricalCrossentropy': 'losses.SparseCategoricalCrossentropy',
 'objectives:SquaredHinge': 'losses.SquaredHinge',
 'objectives:binary_crossentropy': 'backend.binary_crossentropy',
 'objectives:categorical_crossentropy': 'backend.categorical_crossentropy',
 'objectives:categorical_hinge': 'losses.categorical_hinge',
 'objectives:cosine': 'losses.cosine',
 'objectives:cosine_proximity': 'losses.cosine_proximity',
 'objectives:cosine_similarity': 'losses.cosine_similarity',
 'objectives:deserialize': 'activations.deserialize',
 'objectives:deserialize_keras_object': 'saving.deserialize_keras_object',
 'objectives:get': 'activations.get',
 'objectives:hinge': 'losses.hinge',
 'objectives:kld': 'losses.kld',
 'objectives:kullback_leibler_divergence': 'losses.kullback_leibler_divergence',
 'objectives:logcosh': 'losses.logcosh',
 'objectives:mae': 'losses.mae',
 'objectives:mape': 'losses.mape',
 'objectives:mean_absolute_error': 'losses.mean_absolute_error',
 'objectives:mean_absolute_percentage_error': 'losses.mean_absolute_percentage_error',
 'objectives:mean_squared_error': 'losses.mean_squared_error',
 'objectives:mean_squared_logarithmic_error': 'losses.mean_squared_logarithmic_error',
 'objectives:mse': 'losses.mse',
 'objectives:msle': 'losses.msle',
 'objectives:poisson': 'losses.poisson',
 'objectives:serialize': 'activations.serialize',
 'objectives:serialize_keras_object': 'saving.serialize_keras_object',
 'objectives:sparse_categorical_crossentropy': 'backend.sparse_categorical_crossentropy',
 'objectives:squared_hinge': 'losses.squared_hinge',
 'optimizers:TFOptimizer': 'tf_keras.src.optimizers.TFOptimizer',
 'optimizers:adadelta': 'optimizers.Adadelta',
 'optimizers:adagrad': 'optimizers.Adagrad',
 'optimizers:adam': 'optimizers.Adam',
 'optimizers:adamax': 'optimizers.Adamax',
 'optimizers:deserialize_keras_object': 'saving.deserialize_keras_object',
 'optimizers:nadam': 'optimizers.Nadam',
 'optimizers:rmsprop': 'optimizers.RMSprop',
 'optimizers:serialize_keras_object': 'saving.serialize_keras_object',
 'optimizers:sgd': 'optimizers.SGD',
 'preprocessing.image:DataFrameIterator': 'tf_keras.src.preprocessing.image.DataFrameIterator',
 'preprocessing.image:image': 'preprocessing.image',
 'preprocessing.sequence:sequence': 'preprocessing.sequence',
 'preprocessing.text:text': 'preprocessing.text',
 'regularizers:deserialize_keras_object': 'saving.deserialize_keras_object',
 'regularizers:serialize_keras_object': 'saving.serialize_keras_object',
 'utils.generic_utils:CustomObjectScope': 'utils.CustomObjectScope',
 'utils.generic_utils:custom_object_scope': 'utils.custom_object_scope',
 'utils.generic_utils:deserialize_keras_object': 'utils.deserialize_keras_object',
 'utils.generic_utils:get_custom_objects': 'utils.get_custom_objects',
 'utils.generic_utils:serialize_keras_object': 'utils.serialize_keras_object',
 'utils.multi_gpu_utils:Lambda': 'layers.Lambda',
 'utils.multi_gpu_utils:Model': 'Model',
 'utils.multi_gpu_utils:clone_model': 'models.clone_model',
 'utils.multi_gpu_utils:concatenate': 'backend.concatenate',
 'utils.training_utils:Lambda': 'layers.Lambda',
 'utils.training_utils:Model': 'Model',
 'utils.training_utils:concatenate': 'backend.concatenate',
 'utils.vis_utils:Model': 'Model',
 'utils.vis_utils:Wrapper': 'layers.Wrapper',
 'utils:print_summary': 'tf_keras.src.utils.layer_utils.print_summary',
 'wrappers.scikit_learn:Sequential': 'Sequential',
 'wrappers.scikit_learn:to_categorical': 'utils.to_categorical'}

REMOVED: dict[str, str] = {'applications.densenet:keras_modules_injection': 'a keras_applications helper with no tf_keras equivalent: '
                                                  'use keras.applications.<model>.preprocess_input / '
                                                  'decode_predictions',
 'applications.imagenet_utils:keras_modules_injection': 'a keras_applications helper with no tf_keras '
                                                        'equivalent: use '
                                                        'keras.applications.<model>.preprocess_input / '
                                                        'decode_predictions',
 'applications.inception_resnet_v2:keras_modules_injection': 'a keras_applications helper with no tf_keras '
                                                             'equivalent: use '
                                                             'keras.applications.<model>.preprocess_input / '
                                                             'decode_predictions',
 'applications.inception_v3:keras_modules_injection': 'a keras_applications helper with no tf_keras '
                                                      'equivalent: use '
                                                      'keras.applications.<model>.preprocess_input / '
                                                      'decode_predictions',
 'applications.mobilenet:keras_modules_injection': 'a keras_applications helper with no tf_keras equivalent: '
                                                   'use keras.applications.<model>.preprocess_input / '
                                                   'decode_predictions',
 'applications.mobilenet_v2:keras_modules_injection': 'a keras_applications helper with no tf_keras '
                                                      'equivalent: use '
                                                      'keras.applications.<model>.preprocess_input / '
                                                      'decode_predictions',
 'applications.mobilenetv2:keras_modules_injection': 'a keras_applications helper with no tf_keras '
                                                     'equivalent: use '
                                                     'keras.applications.<model>.preprocess_input / '
                                                     'decode_predictions',
 'applications.nasnet:keras_modules_injection': 'a keras_applications helper with no tf_keras equivalent: '
                                                'use keras.applications.<model>.preprocess_input / '
                                                'decode_predictions',
 'applications.resnet50:keras_modules_injection': 'a keras_applications helper with no tf_keras equivalent: '
                                                  'use keras.applications.<model>.preprocess_input / '
                                                  'decode_predictions',
 'applications.resnet:keras_modules_injection': 'a keras_applications helper with no tf_keras equivalent: '
                                                'use keras.applications.<model>.preprocess_input / '
                                                'decode_predictions',
 'applications.resnet_v2:keras_modules_injection': 'a keras_applications helper with no tf_keras equivalent: '
                                                   'use keras.applications.<model>.preprocess_input / '
                                                   'decode_predictions',
 'applications.vgg16:keras_modules_injection': 'a keras_applications helper with no tf_keras equivalent: use '
                                               'keras.applications.<model>.preprocess_input / '
                                               'decode_predictions',
 'applications.vgg19:keras_modules_injection': 'a keras_applications helper with no tf_keras equivalent: use '
                                               'keras.applications.<model>.preprocess_input / '
                                               'decode_predictions',
 'applications.xception:keras_modules_injection': 'a keras_applications helper with no tf_keras equivalent: '
                                                  'use keras.applications.<model>.preprocess_input / '
                                                  'decode_predictions',
 'applications:keras_modules_injection': 'a keras_applications helper with no tf_keras equivalent: use '
                                         'keras.applications.<model>.preprocess_input / decode_predictions',
 'backend.common:eager': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                         'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend.common:symbolic': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                            'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend.tensorflow_backend:eager': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era '
                                     'or internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend.tensorflow_backend:get_variable_shape': 'a Keras 2 backend helper with no tf_keras equivalent '
                                                  '(Theano/CNTK-era or internal); use the TensorFlow op '
                                                  'directly (tf.*, tf.compat.v1.*)',
 'backend.tensorflow_backend:has_arg': 'a Keras 2 backend helper with no tf_keras equivalent '
                                       '(Theano/CNTK-era or internal); use the TensorFlow op directly (tf.*, '
                                       'tf.compat.v1.*)',
 'backend.tensorflow_backend:is_symbolic': 'a Keras 2 backend helper with no tf_keras equivalent '
                                           '(Theano/CNTK-era or internal); use the TensorFlow op directly '
                                           '(tf.*, tf.compat.v1.*)',
 'backend.tensorflow_backend:is_variable': 'a Keras 2 backend helper with no tf_keras equivalent '
                                           '(Theano/CNTK-era or internal); use the TensorFlow op directly '
                                           '(tf.*, tf.compat.v1.*)',
 'backend.tensorflow_backend:py_slice': 'a Keras 2 backend helper with no tf_keras equivalent '
                                        '(Theano/CNTK-era or internal); use the TensorFlow op directly '
                                        '(tf.*, tf.compat.v1.*)',
 'backend.tensorflow_backend:slice': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era '
                                     'or internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend.tensorflow_backend:symbolic': 'a Keras 2 backend helper with no tf_keras equivalent '
                                        '(Theano/CNTK-era or internal); use the TensorFlow op directly '
                                        '(tf.*, tf.compat.v1.*)',
 'backend.tensorflow_backend:transpose_shape': 'a Keras 2 backend helper with no tf_keras equivalent '
                                               '(Theano/CNTK-era or internal); use the TensorFlow op '
                                               'directly (tf.*, tf.compat.v1.*)',
 'backend.tensorflow_backend:v1_variable_initialization': 'a Keras 2 backend helper with no tf_keras '
                                                          'equivalent (Theano/CNTK-era or internal); use the '
                                                          'TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:ConvertToBatch': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                           'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:ConvertToStatic': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                            'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:LambdaFunc': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); '
                       'use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:NAME_SCOPE_STACK': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                             'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:ReshapeBatch': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                         'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:backend_module': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                           'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:classification_error': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                                 'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:ctc_cost': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); '
                     'use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:ctc_create_skip_idxs': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                                 'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:ctc_interleave_blanks': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                                  'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:ctc_path_probs': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                           'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:ctc_update_log_p': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                             'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:dev': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); use the '
                'TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:eager': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); use '
                  'the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:entries': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); use '
                    'the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:get_num_dynamic_axis': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                                 'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:get_variable_shape': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                               'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:grad_parameter_dict': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                                'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:has_arg': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); use '
                    'the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:has_seq_axis': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                         'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:is_variable': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); '
                        'use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:namespace': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); '
                      'use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:pad': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); use the '
                'TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:pattern_broadcast': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                              'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:py_slice': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); '
                     'use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:required_entries': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                             'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:slice': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); use '
                  'the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:symbolic': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); '
                     'use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:th_sparse_module': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                             'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'backend:transpose_shape': 'a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or '
                            'internal); use the TensorFlow op directly (tf.*, tf.compat.v1.*)',
 'callbacks.callbacks:requests': 'a Keras 2 callback helper with no tf_keras equivalent: use '
                                 'keras.callbacks.*',
 'callbacks.callbacks:standardize_input_data': 'a Keras 2 callback helper with no tf_keras equivalent: use '
                                               'keras.callbacks.*',
 'callbacks:requests': 'a Keras 2 callback helper with no tf_keras equivalent: use keras.callbacks.*',
 'callbacks:standardize_input_data': 'a Keras 2 callback helper with no tf_keras equivalent: use '
                                     'keras.callbacks.*',
 'engine.base_layer:Node': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                           'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.base_layer:disable_tracking': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                       'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.base_layer:has_arg': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                              'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.base_layer:is_all_none': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                  'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.base_layer:object_list_uid': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                      'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.base_layer:to_list': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                              'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.base_layer:unpack_singleton': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                       'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.input_layer:Node': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                            'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.input_layer:unpack_singleton': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                        'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.network:Node': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                        'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.network:ask_to_proceed_with_overwrite': 'a Keras 2 engine internal with no public tf_keras '
                                                 'equivalent: use keras.layers.Layer, keras.models.Model, '
                                                 'keras.layers.Input',
 'engine.network:h5py': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                        'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.network:has_arg': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                           'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.network:object_list_uid': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                   'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.network:print_layer_summary': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                       'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.network:to_list': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                           'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.network:unpack_singleton': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                    'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.saving:H5Dict': 'a Keras 2 saving internal: use keras.models.load_model / save_model, '
                         'model.save_weights / load_weights',
 'engine.saving:HDF5_OBJECT_HEADER_LIMIT': 'a Keras 2 saving internal: use keras.models.load_model / '
                                           'save_model, model.save_weights / load_weights',
 'engine.saving:allow_read_from_gcs': 'a Keras 2 saving internal: use keras.models.load_model / save_model, '
                                      'model.save_weights / load_weights',
 'engine.saving:allow_write_to_gcs': 'a Keras 2 saving internal: use keras.models.load_model / save_model, '
                                     'model.save_weights / load_weights',
 'engine.saving:ask_to_proceed_with_overwrite': 'a Keras 2 saving internal: use keras.models.load_model / '
                                                'save_model, model.save_weights / load_weights',
 'engine.saving:getargspec': 'a Keras 2 saving internal: use keras.models.load_model / save_model, '
                             'model.save_weights / load_weights',
 'engine.saving:h5dict': 'a Keras 2 saving internal: use keras.models.load_model / save_model, '
                         'model.save_weights / load_weights',
 'engine.saving:load_attributes_from_hdf5_group': 'a Keras 2 saving internal: use keras.models.load_model / '
                                                  'save_model, model.save_weights / load_weights',
 'engine.saving:load_from_binary_h5py': 'a Keras 2 saving internal: use keras.models.load_model / '
                                        'save_model, model.save_weights / load_weights',
 'engine.saving:load_weights_from_hdf5_group': 'a Keras 2 saving internal: use keras.models.load_model / '
                                               'save_model, model.save_weights / load_weights',
 'engine.saving:load_weights_from_hdf5_group_by_name': 'a Keras 2 saving internal: use '
                                                       'keras.models.load_model / save_model, '
                                                       'model.save_weights / load_weights',
 'engine.saving:pickle_model': 'a Keras 2 saving internal: use keras.models.load_model / save_model, '
                               'model.save_weights / load_weights',
 'engine.saving:preprocess_weights_for_loading': 'a Keras 2 saving internal: use keras.models.load_model / '
                                                 'save_model, model.save_weights / load_weights',
 'engine.saving:save_attributes_to_hdf5_group': 'a Keras 2 saving internal: use keras.models.load_model / '
                                                'save_model, model.save_weights / load_weights',
 'engine.saving:save_to_binary_h5py': 'a Keras 2 saving internal: use keras.models.load_model / save_model, '
                                      'model.save_weights / load_weights',
 'engine.saving:save_weights_to_hdf5_group': 'a Keras 2 saving internal: use keras.models.load_model / '
                                             'save_model, model.save_weights / load_weights',
 'engine.saving:tf_file_io': 'a Keras 2 saving internal: use keras.models.load_model / save_model, '
                             'model.save_weights / load_weights',
 'engine.saving:unpickle_model': 'a Keras 2 saving internal: use keras.models.load_model / save_model, '
                                 'model.save_weights / load_weights',
 'engine.sequential:h5py': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                           'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.topology:Node': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                         'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.training:check_array_length_consistency': 'a Keras 2 engine internal with no public tf_keras '
                                                   'equivalent: use keras.layers.Layer, keras.models.Model, '
                                                   'keras.layers.Input',
 'engine.training:check_loss_and_target_compatibility': 'a Keras 2 engine internal with no public tf_keras '
                                                        'equivalent: use keras.layers.Layer, '
                                                        'keras.models.Model, keras.layers.Input',
 'engine.training:collect_metrics': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                    'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.training:slice_arrays': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                 'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.training:standardize_class_weights': 'a Keras 2 engine internal with no public tf_keras equivalent: '
                                              'use keras.layers.Layer, keras.models.Model, '
                                              'keras.layers.Input',
 'engine.training:standardize_input_data': 'a Keras 2 engine internal with no public tf_keras equivalent: '
                                           'use keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.training:standardize_sample_weights': 'a Keras 2 engine internal with no public tf_keras '
                                               'equivalent: use keras.layers.Layer, keras.models.Model, '
                                               'keras.layers.Input',
 'engine.training:standardize_weights': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                        'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.training:to_list': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                            'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.training:unpack_singleton': 'a Keras 2 engine internal with no public tf_keras equivalent: use '
                                     'keras.layers.Layer, keras.models.Model, keras.layers.Input',
 'engine.training:weighted_masked_objective': 'a Keras 2 engine internal with no public tf_keras equivalent: '
                                              'use keras.layers.Layer, keras.models.Model, '
                                              'keras.layers.Input',
 'layers.advanced_activations:to_list': 'a Keras 2 layer helper with no tf_keras equivalent: see '
                                        'keras.layers for what remains',
 'layers.convolutional:AtrousConv1D': 'the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., '
                                      'dilation_rate=rate)',
 'layers.convolutional:AtrousConv2D': 'the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., '
                                      'dilation_rate=rate)',
 'layers.convolutional:AtrousConvolution1D': 'the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., '
                                             'dilation_rate=rate)',
 'layers.convolutional:AtrousConvolution2D': 'the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., '
                                             'dilation_rate=rate)',
 'layers.convolutional:transpose_shape': 'a Keras 2 layer helper with no tf_keras equivalent: see '
                                         'keras.layers for what remains',
 'layers.convolutional_recurrent:ConvLSTM2DCell': 'a Keras 2 layer helper with no tf_keras equivalent: see '
                                                  'keras.layers for what remains',
 'layers.convolutional_recurrent:ConvRNN2D': 'a Keras 2 layer helper with no tf_keras equivalent: see '
                                             'keras.layers for what remains',
 'layers.convolutional_recurrent:ConvRecurrent2D': 'the Keras 1 Recurrent base class is gone: use '
                                                   'keras.layers.RNN with a cell',
 'layers.convolutional_recurrent:Recurrent': 'the Keras 1 Recurrent base class is gone: use keras.layers.RNN '
                                             'with a cell',
 'layers.convolutional_recurrent:has_arg': 'a Keras 2 layer helper with no tf_keras equivalent: see '
                                           'keras.layers for what remains',
 'layers.convolutional_recurrent:to_list': 'a Keras 2 layer helper with no tf_keras equivalent: see '
                                           'keras.layers for what remains',
 'layers.convolutional_recurrent:transpose_shape': 'a Keras 2 layer helper with no tf_keras equivalent: see '
                                                   'keras.layers for what remains',
 'layers.core:func_dump': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what '
                          'remains',
 'layers.core:func_load': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what '
                          'remains',
 'layers.core:has_arg': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what '
                        'remains',
 'layers.embeddings:to_list': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what '
                              'remains',
 'layers.recurrent:Recurrent': 'the Keras 1 Recurrent base class is gone: use keras.layers.RNN with a cell',
 'layers.recurrent:disable_tracking': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers '
                                      'for what remains',
 'layers.recurrent:has_arg': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what '
                             'remains',
 'layers.recurrent:to_list': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what '
                             'remains',
 'layers.wrappers:disable_tracking': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers '
                                     'for what remains',
 'layers.wrappers:has_arg': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what '
                            'remains',
 'layers.wrappers:object_list_uid': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers '
                                    'for what remains',
 'layers:AtrousConv1D': 'the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., dilation_rate=rate)',
 'layers:AtrousConv2D': 'the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., dilation_rate=rate)',
 'layers:AtrousConvolution1D': 'the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., '
                               'dilation_rate=rate)',
 'layers:AtrousConvolution2D': 'the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., '
                               'dilation_rate=rate)',
 'layers:ConvLSTM2DCell': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what '
                          'remains',
 'layers:ConvRNN2D': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what remains',
 'layers:ConvRecurrent2D': 'the Keras 1 Recurrent base class is gone: use keras.layers.RNN with a cell',
 'layers:Highway': 'the Keras 1 Highway layer is gone: write it as Dense layers (or a custom Layer)',
 'layers:MaxoutDense': 'the Keras 1 MaxoutDense layer is gone: Dense(units * k) then a max over k',
 'layers:Recurrent': 'the Keras 1 Recurrent base class is gone: use keras.layers.RNN with a cell',
 'layers:func_dump': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what remains',
 'layers:func_load': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what remains',
 'layers:has_arg': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what remains',
 'layers:object_list_uid': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what '
                           'remains',
 'layers:to_list': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what remains',
 'layers:transpose_shape': 'a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what '
                           'remains',
 'legacy.layers:AtrousConvolution1D': 'the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., '
                                      'dilation_rate=rate)',
 'legacy.layers:AtrousConvolution2D': 'the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., '
                                      'dilation_rate=rate)',
 'legacy.layers:ConvRecurrent2D': 'the Keras 1 Recurrent base class is gone: use keras.layers.RNN with a '
                                  'cell',
 'legacy.layers:Highway': 'the Keras 1 Highway layer is gone: write it as Dense layers (or a custom Layer)',
 'legacy.layers:MaxoutDense': 'the Keras 1 MaxoutDense layer is gone: Dense(units * k) then a max over k',
 'legacy.layers:Recurrent': 'the Keras 1 Recurrent base class is gone: use keras.layers.RNN with a cell',
 'legacy.layers:to_list': 'a Keras 1 layer kept by Keras 2 for old configs (Merge, Highway, MaxoutDense, '
                          'AtrousConvolution*): use layers.Add/Concatenate/..., Dense, '
                          'Conv*D(dilation_rate=...)',
 'legacy.models:Merge': 'the Keras 1 Merge layer is gone: use keras.layers.Add / Concatenate / Multiply / '
                        'Average / Dot',
 'legacy.models:legacy_sequential_layers': 'a Keras 2 name with no tf_keras equivalent',
 'legacy.models:needs_legacy_support': 'a Keras 2 name with no tf_keras equivalent',
 'metrics:BaseMeanIoU': 'a Keras 2 name with no tf_keras equivalent',
 'models:h5py': 'a Keras 2 name with no tf_keras equivalent',
 'models:has_arg': 'a Keras 2 name with no tf_keras equivalent',
 'models:to_list': 'a Keras 2 name with no tf_keras equivalent',
 'objectives:LossFunctionWrapper': 'a Keras 2 name with no tf_keras equivalent',
 'objectives:huber_loss': 'a Keras 2 name with no tf_keras equivalent',
 'objectives:is_categorical_crossentropy': 'a Keras 2 name with no tf_keras equivalent',
 'optimizers:clip_norm': 'a Keras 2 optimizer helper with no tf_keras equivalent: use keras.optimizers.get / '
                         'the optimizer classes (keras.optimizers.Adam, ...)',
 'utils.conv_utils:convert_kernel': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for what '
                                    'remains',
 'utils.conv_utils:deconv_length': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for what '
                                   'remains',
 'utils.generic_utils:getargspec': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for what '
                                   'remains',
 'utils.generic_utils:object_list_uid': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for '
                                        'what remains',
 'utils.generic_utils:transpose_shape': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for '
                                        'what remains',
 'utils.generic_utils:unpack_singleton': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for '
                                         'what remains',
 'utils.io_utils:H5Dict': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for what remains',
 'utils.io_utils:HDF5Matrix': 'HDF5Matrix was removed: read the HDF5 file with h5py or feed a '
                              'tf.data.Dataset',
 'utils.io_utils:HDF5_OBJECT_HEADER_LIMIT': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils '
                                            'for what remains',
 'utils.io_utils:h5dict': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for what remains',
 'utils.io_utils:h5py': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for what remains',
 'utils.io_utils:load_from_binary_h5py': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for '
                                         'what remains',
 'utils.io_utils:save_to_binary_h5py': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for '
                                       'what remains',
 'utils.layer_utils:convert_all_kernels_in_model': 'a Keras 2 utility with no tf_keras equivalent: see '
                                                   'keras.utils for what remains',
 'utils.layer_utils:convert_kernel': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for '
                                     'what remains',
 'utils.losses_utils:Reduction': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for what '
                                 'remains',
 'utils.losses_utils:broadcast_weights': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for '
                                         'what remains',
 'utils.metrics_utils:filter_top_k': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for '
                                     'what remains',
 'utils.metrics_utils:weighted_assign_add': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils '
                                            'for what remains',
 'utils.multi_gpu_utils:multi_gpu_model': 'multi_gpu_model was removed in TF 2.4; use '
                                          'tf.distribute.MirroredStrategy: build and compile the model '
                                          'inside `with strategy.scope():`',
 'utils.multi_gpu_utils:to_list': 'multi_gpu_utils was removed in TF 2.4; use tf.distribute.MirroredStrategy',
 'utils.training_utils:multi_gpu_model': 'multi_gpu_model was removed in TF 2.4; use '
                                         'tf.distribute.MirroredStrategy: build and compile the model inside '
                                         '`with strategy.scope():`',
 'utils.vis_utils:is_model': 'use keras.utils.plot_model / model_to_dot',
 'utils:H5Dict': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for what remains',
 'utils:HDF5Matrix': 'HDF5Matrix was removed: read the HDF5 file with h5py or feed a tf.data.Dataset',
 'utils:convert_all_kernels_in_model': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for '
                                       'what remains',
 'utils:h5dict': 'a Keras 2 utility with no tf_keras equivalent: see keras.utils for what remains',
 'utils:multi_gpu_model': 'multi_gpu_model was removed in TF 2.4; use tf.distribute.MirroredStrategy: build '
                          'and compile the model inside `with strategy.scope():`',
 'wrappers.scikit_learn:BaseWrapper': 'keras.wrappers.scikit_learn was removed from Keras; use the scikeras '
                                      'package (`from scikeras.wrappers import KerasClassifier, '
                                      'KerasRegressor`)',
 'wrappers.scikit_learn:KerasClassifier': 'keras.wrappers.scikit_learn was removed from Keras; use the '
                                          'scikeras package (`from scikeras.wrappers import KerasClassifier, '
                                          'KerasRegressor`)',
 'wrappers.scikit_learn:KerasRegressor': 'keras.wrappers.scikit_learn was removed from Keras; use the '
                                         'scikeras package (`from scikeras.wrappers import KerasClassifier, '
                                         'KerasRegressor`)',
 'wrappers.scikit_learn:has_arg': 'keras.wrappers.scikit_learn was removed from Keras; use the scikeras '
                                  'package (`from scikeras.wrappers import KerasClassifier, KerasRegressor`)',
 'wrappers.scikit_learn:to_list': 'keras.wrappers.scikit_learn was removed from Keras; use the scikeras '
                                  'package (`from scikeras.wrappers import KerasClassifier, KerasRegressor`)'}
